/**
 * A/B of one training step of the `tiny` model's VQ tokenizer in one process, interleaved rounds:
 * A = the NHWC convolution path (transposes, Pad, forward-convolution gradients, tiled upsampling),
 * B = conv2d's default: Im2Col + matmul on cpu and on wasm with the native BLAS; on wasm with
 * XNNPACK alone (HEALTHGPT_NATIVE=0) conv2d keeps the NHWC path, so there B is A (ratio ≈ 1). A is
 * had by unregistering the Im2Col kernels, which sends `conv2d` down its other path.
 *   node --import tsx bench/vq_step_ab.ts [batch] [rounds]
 * Env: BACKEND (wasm | cpu, default wasm), HEALTHGPT_NATIVE=0 (XNNPACK instead of the native BLAS).
 * Prints the median CPU milliseconds per step of each path and their ratio (CPU time, so a loaded
 * machine inflates both sides alike).
 */
import { tf, initBackend } from '@healthgpt/tensor-core';
import { healthGPTPreset } from '@healthgpt/model';
import { VQTokenizer, VQLoss } from '@healthgpt/vq-tokenizer';

const batch = Number(process.argv[2] ?? 16);
const rounds = Number(process.argv[3] ?? 5);
const backendName = (process.env.BACKEND ?? 'wasm') as 'wasm' | 'cpu';
console.log(JSON.stringify(await initBackend({ backend: backendName })));
const im2col = ['HealthGPTIm2Col', 'HealthGPTCol2Im'].map((name) => tf.getKernel(name, backendName)!);
const usePath = (path: 'A' | 'B') => {
  for (const k of im2col) {
    if (tf.getKernel(k.kernelName, backendName)) tf.unregisterKernel(k.kernelName, backendName);
    if (path === 'B') tf.registerKernel(k);
  }
};
const vq = new VQTokenizer(healthGPTPreset('tiny').vq_config!, { seed: 0 });
vq.train();
const vqLoss = new VQLoss(vq, { steps: 100, reconLoss: 'l2' });
const images = tf.randomUniform([batch, 3, 32, 32], -1, 1, 'float32', 1);
const step = (): { loss: number; cpuMs: number; wallMs: number } => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { loss, grads } = vq.computeGradients(() => vqLoss.compute(images, 0).loss);
  const value = loss.dataSync()[0];
  tf.dispose([loss, ...grads.values()]);
  const c = process.cpuUsage(c0);
  return { loss: value, cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0 };
};
const times: Record<'A' | 'B', number[]> = { A: [], B: [] };
const walls: Record<'A' | 'B', number[]> = { A: [], B: [] };
for (const path of ['A', 'B'] as const) {
  usePath(path);
  step(); // warm-up
}
for (let r = 0; r < rounds; r++)
  for (const path of ['A', 'B'] as const) {
    usePath(path);
    const { loss, cpuMs, wallMs } = step();
    times[path].push(cpuMs);
    walls[path].push(wallMs);
    if (r === 0) console.log(`${path} loss ${loss.toFixed(6)}`);
  }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const [a, b] = [median(times.A), median(times.B)];
console.log(JSON.stringify({ backend: backendName, batch, rounds, cpuMsPerStep: { A: Math.round(a), B: Math.round(b) }, wallMsPerStep: { A: Math.round(median(walls.A)), B: Math.round(median(walls.B)) }, speedup: Number((a / b).toFixed(2)), tensors: tf.memory().numTensors }));
images.dispose();
vq.dispose();
