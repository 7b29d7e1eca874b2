/**
 * Profile one training step of the benchmark decoder, kernel by kernel:
 *   node --import tsx packages/tensor-core/bench/profile_step.ts [wasm|cpu] [threads]
 * Env: STEPS (timed steps before the profile, default 3), FUSED=1 (fused GELU / cross-entropy),
 * HEALTHGPT_NATIVE=0 (XNNPACK instead of the native BLAS), OPENBLAS_NUM_THREADS.
 * Kernel times are wall times: on a shared machine, read them as proportions.
 */
import { tf, initBackend } from '../src/index.js';
import { TinyDecoder, BENCH_CONFIG, trainStep, syntheticBatch } from './tiny_decoder.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
console.log(await initBackend({ backend, threads: Number(process.argv[3] ?? 1) }));
const model = new TinyDecoder({ ...BENCH_CONFIG, fused: process.env.FUSED === '1' });
const opt = tf.train.adam(1e-3);
const { ids, labels } = syntheticBatch(BENCH_CONFIG, 8);
for (let i = 0; i < Number(process.env.STEPS ?? 3); i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const l = trainStep(model, opt, ids, labels);
  const loss = l.dataSync()[0];
  l.dispose();
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  console.log(`step ${i} loss ${loss.toFixed(4)} wall ${ms.toFixed(0)} ms cpu ${((c.user + c.system) / 1000).toFixed(0)} ms ${((8 * 128 * 1000) / ms).toFixed(0)} tok/s tensors ${tf.memory().numTensors}`);
}
const prof = await tf.profile(() => trainStep(model, opt, ids, labels).dispose());
const byKernel = new Map<string, number>();
const byShape = new Map<string, [number, number]>();
for (const k of prof.kernels) {
  const t = k.kernelTimeMs as number;
  byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + t);
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const e = byShape.get(key) ?? [0, 0];
  byShape.set(key, [e[0] + t, e[1] + 1]);
}
const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
console.log(`kernels: ${total.toFixed(0)} ms`);
for (const [k, v] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${k.padEnd(22)} ${v.toFixed(1).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %`);
console.log('top calls (ms, count, kernel, input shapes):');
for (const [k, [t, n]] of [...byShape].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15)) console.log(`${t.toFixed(1).padStart(7)} ${String(n).padStart(3)} ${k}`);
