import { tf } from '../src/index.js';
import { setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { enableWasmThreads, afterWasmInit } from '../src/wasm_threads.js';
const n = Number(process.argv[2] ?? 2);
if (n > 1) enableWasmThreads(n, setThreadsCount);
const ok = await tf.setBackend('wasm'); await tf.ready();
afterWasmInit();
console.log('ok', ok, tf.getBackend(), 'threads', getThreadsCount());
const t = (name: string, f: () => tf.Tensor, flops: number) => {
  for (let i = 0; i < 2; i++) tf.tidy(() => { f().dataSync(); });
  const ms: number[] = [], cpu: number[] = [];
  for (let i = 0; i < 7; i++) { const c0 = process.cpuUsage(); const t0 = performance.now(); tf.tidy(() => { f().dataSync(); }); ms.push(performance.now() - t0); const c = process.cpuUsage(c0); cpu.push((c.user + c.system) / 1000); }
  ms.sort((a,b)=>a-b); cpu.sort((a,b)=>a-b); console.log(name, 'wall GF', (flops / ms[3] / 1e6).toFixed(1), 'cpu ms', cpu[3].toFixed(1), 'wall ms', ms[3].toFixed(1));
};
const a1024 = tf.randomNormal([1024,1024]), ba = tf.randomNormal([8,128,256]), bb = tf.randomNormal([8,256,256]);
t('1024', () => tf.matMul(a1024, a1024), 2*1024**3);
t('batched', () => tf.matMul(ba, bb), 2*8*128*256*256);
console.log('done');
