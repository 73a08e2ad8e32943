// make bench-infer's ONNX Runtime engine: the median forward time of a model exported by
// `darknet ternary onnx` (float or -int8), CPU execution provider, all graph optimisations.
//   node bench/infer_ort.js MODEL.onnx ENGINE THREADS SECONDS
// prints "engine=ENGINE batch=B threads=T median_ms=X backend=onnxruntime-VERSION"; the input is
// random (the time does not depend on the values), its batch the model's.
const ort = require('onnxruntime-node');

async function main() {
    const [model, engine, threads, seconds] = process.argv.slice(2);
    const t = Number(threads), secs = Number(seconds);
    const s = await ort.InferenceSession.create(model, { intraOpNumThreads: t, interOpNumThreads: 1,
        executionMode: 'sequential', graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
    const name = s.inputNames[0];
    const dims = s.inputMetadata.find(m => m.name === name).shape;
    const n = dims.reduce((a, b) => a * b, 1);
    const x = new Float32Array(n);
    for (let i = 0; i < n; ++i) x[i] = Math.random();
    const feeds = { [name]: new ort.Tensor('float32', x, dims) };
    for (let i = 0; i < 3; ++i) await s.run(feeds);           // warm-up
    const times = [];
    const end = process.hrtime.bigint() + BigInt(Math.round(secs * 1e9));
    while (times.length < 5 || process.hrtime.bigint() < end) {
        const a = process.hrtime.bigint();
        await s.run(feeds);
        times.push(Number(process.hrtime.bigint() - a) / 1e6);
    }
    times.sort((a, b) => a - b);
    const m = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
    console.log(`engine=${engine} batch=${dims[0]} threads=${t} median_ms=${m.toFixed(4)} backend=onnxruntime-${ort.env.versions.common} runs=${times.length}`);
}
main().catch(e => { console.error('infer_ort: ' + (e && e.message ? e.message : e)); process.exit(1); });
