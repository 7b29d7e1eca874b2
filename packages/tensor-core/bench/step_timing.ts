/**
 * Median training tokens/s of the benchmark decoder over a few steps (a quicker A/B than the full
 * bench): node --import tsx packages/tensor-core/bench/step_timing.ts [steps] [threads]
 * Env: HEALTHGPT_NATIVE=0 (XNNPACK instead of the native BLAS), FUSED=1 (fused GELU / cross-entropy).
 */
import { tf, initBackend } from '../src/index.js';
import { TinyDecoder, BENCH_CONFIG, trainStep, syntheticBatch } from './tiny_decoder.js';

const steps = Number(process.argv[2] ?? 7);
await initBackend({ backend: 'wasm', threads: Number(process.argv[3] ?? 1) });
const model = new TinyDecoder({ ...BENCH_CONFIG, fused: process.env.FUSED === '1' });
const opt = tf.train.adam(1e-3);
const { ids, labels } = syntheticBatch(BENCH_CONFIG, 8);
const ms: number[] = [];
for (let i = 0; i < steps + 2; i++) {
  const t0 = performance.now();
  const l = trainStep(model, opt, ids, labels);
  l.dataSync();
  l.dispose();
  if (i >= 2) ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
const med = ms[Math.floor(ms.length / 2)];
console.log(`median step ${med.toFixed(0)} ms, ${((8 * 128 * 1000) / med).toFixed(0)} tok/s (min ${ms[0].toFixed(0)} ms, ${steps} steps)`);
