/**
 * Profile one training step of the benchmark workload (bench/train_decoder.ts), kernel by kernel:
 *   node --import tsx bench/profile_step.ts [wasm|cpu] [threads]
 * Env: STEPS (timed steps before the profile, default 3), HEALTHGPT_NATIVE=0 (XNNPACK instead of
 * the native BLAS), OPENBLAS_NUM_THREADS. Kernel times are wall times: on a shared machine, read
 * them as proportions.
 */
import { tf, initBackend } from '@healthgpt/tensor-core';
import { BATCH, SEQ, BenchTrainer } from './train_decoder.js';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
console.log(await initBackend({ backend, threads: Number(process.argv[3] ?? 1) }));
const trainer = new BenchTrainer(BATCH);
for (let i = 0; i < Number(process.env.STEPS ?? 3); i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const loss = trainer.step();
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  console.log(`step ${i} loss ${loss.toFixed(4)} wall ${ms.toFixed(0)} ms cpu ${((c.user + c.system) / 1000).toFixed(0)} ms ${((BATCH * SEQ * 1000) / ms).toFixed(0)} tok/s tensors ${tf.memory().numTensors}`);
}
// Time every kernel of the active backend by wrapping its kernelFunc (tf.profile reads each
// output back for error checks, which inflates its per-kernel times).
const totals = new Map<string, [number, number]>();
for (const config of tf.getKernelsForBackend(tf.getBackend())) {
  const inner = config.kernelFunc;
  config.kernelFunc = ((args: Parameters<tf.KernelFunc>[0]) => {
    const t0 = performance.now();
    const out = inner(args);
    const e = totals.get(config.kernelName) ?? [0, 0];
    e[0] += performance.now() - t0;
    e[1]++;
    totals.set(config.kernelName, e);
    return out;
  }) as tf.KernelFunc;
}
const t0 = performance.now();
trainer.step();
const stepMs = performance.now() - t0;
const kernelMs = [...totals.values()].reduce((a, [t]) => a + t, 0);
const calls = [...totals.values()].reduce((a, [, n]) => a + n, 0);
console.log(`profiled step ${stepMs.toFixed(0)} ms: ${calls} kernel calls take ${kernelMs.toFixed(0)} ms, ${(stepMs - kernelMs).toFixed(0)} ms outside kernels`);
for (const [k, [t, n]] of [...totals].sort((a, b) => b[1][0] - a[1][0]).slice(0, 20)) {
  console.log(`${k.padEnd(22)} ${t.toFixed(1).padStart(7)} ms ${((100 * t) / stepMs).toFixed(1).padStart(5)} % ${String(n).padStart(4)} calls`);
}
trainer.dispose();
