import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
await import("../src/index.js");
const t = (name: string, shape: number[], perm: number[]) => {
  const x = tf.randomNormal(shape);
  tf.transpose(x, perm).dispose();
  const c0 = process.cpuUsage();
  for (let i = 0; i < 5; i++) tf.transpose(x, perm).dispose();
  const c = process.cpuUsage(c0);
  console.log(name, shape.join('x'), perm.join(','), ((c.user + c.system) / 5000).toFixed(2), 'ms cpu');
};
t('5d', [8,128,3,4,64], [2,0,3,1,4]);
t('5d back', [3,8,4,128,64], [1,3,0,2,4]);
t('4d', [8,128,4,64], [0,2,1,3]);
t('3d', [32,128,64], [0,2,1]);
t('2d', [1024,1024], [1,0]);
t('2d', [1024,256], [1,0]);
