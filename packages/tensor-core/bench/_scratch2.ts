import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
const mine = process.argv[2] === 'mine';
if (mine) await import('../src/index.js');
await tf.setBackend('wasm');
const r = (s: number[]) => tf.randomNormal(s, 0, 1, 'float32', 1);
const t = (name: string, f: () => tf.Tensor, flops: number) => {
  for (let i = 0; i < 2; i++) tf.tidy(() => { f().dataSync(); });
  const ms: number[] = [], cpu: number[] = [];
  for (let i = 0; i < 7; i++) { const c0 = process.cpuUsage(); const t0 = performance.now(); tf.tidy(() => { f().dataSync(); }); ms.push(performance.now() - t0); const c = process.cpuUsage(c0); cpu.push((c.user + c.system) / 1000); }
  ms.sort((a,b)=>a-b); cpu.sort((a,b)=>a-b); console.log(name, 'wall', (flops / ms[3] / 1e6).toFixed(1), 'cpu', (flops / cpu[3] / 1e6).toFixed(1), 'GFLOP/s');
};
const a512 = r([512,512]), a1024 = r([1024,1024]), ba = r([8,128,256]), bb = r([8,256,256]);
t('512', () => tf.matMul(a512, a512), 2*512**3);
t('1024', () => tf.matMul(a1024, a1024), 2*1024**3);
{
t('batched', () => tf.matMul(ba, bb), 2*8*128*256*256);
t('1024 tB', () => tf.matMul(a1024, a1024, false, true), 2*1024**3);
}
