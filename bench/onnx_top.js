// The top-1 class of each input in ONNX Runtime (CPU), for bench/onnx.sh.
//   node bench/onnx_top.js MODEL.onnx INPUTS.f32 THREADS
// INPUTS.f32: images one after another, raw float32, each of the model's input size (batch 1);
// prints one line per image: the index of the largest output, then every output (%.9g).
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
    const [model, inputs, threads] = process.argv.slice(2);
    const s = await ort.InferenceSession.create(model, { intraOpNumThreads: Number(threads || 1), interOpNumThreads: 1,
        graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
    const name = s.inputNames[0], outName = s.outputNames[s.outputNames.length - 1];
    const dims = s.inputMetadata.find(m => m.name === name).shape;
    if (dims[0] !== 1) throw new Error('the model must have batch 1');
    const n = dims.reduce((a, b) => a * b, 1);
    const buf = fs.readFileSync(inputs);
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    if (all.length % n) throw new Error(`${inputs}: ${all.length} values, not a whole number of ${n}-value inputs`);
    const lines = [];
    for (let i = 0; i < all.length / n; ++i) {
        const x = all.slice(i * n, (i + 1) * n);
        const y = (await s.run({ [name]: new ort.Tensor('float32', x, dims) }))[outName].data;
        let best = 0;
        for (let j = 1; j < y.length; ++j) if (y[j] > y[best]) best = j;
        lines.push(best + ' ' + Array.from(y, v => v.toPrecision(9)).join(' '));
    }
    process.stdout.write(lines.join('\n') + '\n');
}
main().catch(e => { console.error('onnx_top: ' + (e && e.message ? e.message : e)); process.exit(1); });
