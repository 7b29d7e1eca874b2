import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
const r = (s: number[]) => tf.randomNormal(s, 0, 1, 'float32', 1);
const t = (name: string, f: () => tf.Tensor, flops: number) => {
  for (let i = 0; i < 2; i++) tf.tidy(() => f().dataSync());
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); tf.tidy(() => f().dataSync()); ms.push(performance.now() - t0); }
  ms.sort((a,b)=>a-b); console.log(name, (flops / ms[2] / 1e6).toFixed(1), 'GFLOP/s', ms[2].toFixed(1), 'ms');
};
const a512 = r([512,512]), a1024 = r([1024,1024]);
t('stock 512', () => tf.matMul(a512, a512), 2*512**3);
t('stock 1024', () => tf.matMul(a1024, a1024), 2*1024**3);
