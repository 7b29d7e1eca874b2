import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await import('../src/index.js');
await tf.setBackend('wasm');
const x = tf.randomNormal([1 << 20]);
for (const [name, f] of [['sigmoid', () => tf.sigmoid(x)], ['tanh', () => tf.tanh(x)], ['mul', () => tf.mul(x, x)], ['exp', () => tf.exp(x)], ['erf', () => tf.erf(x)]] as const) {
  f().dispose();
  const c0 = process.cpuUsage();
  for (let i = 0; i < 10; i++) f().dispose();
  const u = process.cpuUsage(c0);
  console.log(name, ((u.user + u.system) / 10000).toFixed(2), 'ms/1M cpu');
}
