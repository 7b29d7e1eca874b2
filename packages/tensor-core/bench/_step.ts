import { tf, initBackend } from '../src/index.js';
import { TinyDecoder, BENCH_CONFIG, trainStep, syntheticBatch } from './tiny_decoder.js';
const backend = (process.argv[2] ?? 'wasm') as 'wasm';
console.log(await initBackend({ backend, threads: Number(process.env.THREADS ?? 1) }));
const model = new TinyDecoder({ ...BENCH_CONFIG, fused: process.env.FUSED === '1' });
console.log('params', model.numParameters());
const opt = tf.train.adam(1e-3);
const { ids, labels } = syntheticBatch(BENCH_CONFIG, 8);
for (let i = 0; i < Number(process.env.STEPS ?? 4); i++) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const l = trainStep(model, opt, ids, labels);
  const v = l.dataSync()[0]; l.dispose();
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  console.log('step', i, 'loss', v.toFixed(4), 'ms', ms.toFixed(0), 'cpu ms', ((c.user+c.system)/1000).toFixed(0), 'tok/s', (8*128/ms*1000).toFixed(0), 'numTensors', tf.memory().numTensors);
}
if (process.argv[3] === 'profile') {
  const prof = await tf.profile(() => { const l = trainStep(model, opt, ids, labels); l.dispose(); });
  const agg = new Map<string, number>();
  for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  const tot = [...agg.values()].reduce((a, b) => a + b, 0);
  console.log('total kernel ms', tot.toFixed(0));
  for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(k.padEnd(24), v.toFixed(1), (100 * v / tot).toFixed(1) + '%');
}
if (process.argv[3] === 'profile') {
  const prof = await tf.profile(() => { const l = trainStep(model, opt, ids, labels); l.dispose(); });
  const agg = new Map<string, [number, number]>();
  for (const k of prof.kernels) { const key = `${k.name} ${JSON.stringify(k.inputShapes)} ${JSON.stringify((k as any).extraInfo ?? '')}`; const e = agg.get(key) ?? [0, 0]; e[0] += k.kernelTimeMs as number; e[1]++; agg.set(key, e); }
  for (const [k, v] of [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 40)) console.log(v[0].toFixed(1).padStart(7), String(v[1]).padStart(3), k.slice(0, 150));
}
