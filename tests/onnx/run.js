// Runs an ONNX model in ONNX Runtime (onnxruntime-node, CPU) on one input and writes each output.
//   node run.js MODEL.onnx INPUT.f32 OUTDIR THREADS
// INPUT.f32: the raw float32 input tensor, shaped as the model's first input; each output NAME is
// written to OUTDIR/NAME.f32 (raw float32), and one line "NAME n" per output goes to stdout.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
    const [model, input, outdir, threads] = process.argv.slice(2);
    const opts = { intraOpNumThreads: Number(threads || 1), interOpNumThreads: 1,
                   graphOptimizationLevel: 'all', executionProviders: ['cpu'] };
    const session = await ort.InferenceSession.create(model, opts);
    const buf = fs.readFileSync(input);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const name = session.inputNames[0];
    const meta = session.inputMetadata ? session.inputMetadata.find(m => m.name === name) : null;
    let dims = meta && meta.shape ? meta.shape : null;
    if (!dims) throw new Error('no input shape');
    const want = dims.reduce((a, b) => a * b, 1);
    if (want !== x.length) throw new Error(`input holds ${x.length} values, the model wants ${want} (${dims})`);
    const out = await session.run({ [name]: new ort.Tensor('float32', x, dims) });
    for (const k of session.outputNames) {
        const t = out[k];
        fs.writeFileSync(path.join(outdir, k + '.f32'), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
        console.log(k + ' ' + t.data.length);
    }
}
main().catch(e => { console.error('onnx run: ' + (e && e.message ? e.message : e)); process.exit(1); });
