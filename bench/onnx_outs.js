// Every output of a model (batch 1) in ONNX Runtime, for each input: bench/onnx.sh's detector.
//   node bench/onnx_outs.js MODEL.onnx INPUTS.f32 OUTDIR THREADS
// INPUTS.f32: images one after another (raw float32, the model's input size each); each output
// NAME goes to OUTDIR/NAME.f32, the images' values one after another.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
    const [model, inputs, outdir, threads] = process.argv.slice(2);
    const s = await ort.InferenceSession.create(model, { intraOpNumThreads: Number(threads || 1), interOpNumThreads: 1,
        graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
    const name = s.inputNames[0];
    const dims = s.inputMetadata.find(m => m.name === name).shape;
    const n = dims.reduce((a, b) => a * b, 1);
    const buf = fs.readFileSync(inputs);
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const fds = {};
    for (const k of s.outputNames) fds[k] = fs.openSync(path.join(outdir, k + '.f32'), 'w');
    for (let i = 0; i < all.length / n; ++i) {
        const out = await s.run({ [name]: new ort.Tensor('float32', all.slice(i * n, (i + 1) * n), dims) });
        for (const k of s.outputNames) {
            const d = out[k].data;
            fs.writeSync(fds[k], Buffer.from(d.buffer, d.byteOffset, d.byteLength));
        }
    }
    for (const k of s.outputNames) fs.closeSync(fds[k]);
}
main().catch(e => { console.error('onnx_outs: ' + (e && e.message ? e.message : e)); process.exit(1); });
