import { tf, initBackend, conv2d } from '@healthgpt/tensor-core';
import { conv2dTrainable } from './src/blocks/conv.js';
for (const be of ['cpu', 'wasm'] as const) {
  await initBackend({ backend: be });
  const x = tf.randomNormal([2, 5, 9, 9]); const w = tf.randomNormal([4, 5, 3, 3]); const b = tf.randomNormal([4]);
  for (const [stride, padding] of [[1, 1], [2, [0, 1, 0, 1]]] as const) {
    const y1 = conv2d(x, w, b, { stride, padding: padding as any }); const y2 = conv2dTrainable(x, w, b, { stride, padding: padding as any });
    console.log(be, stride, 'fwd', tf.max(tf.abs(tf.sub(y1, y2))).dataSync()[0]);
    if (be === 'cpu') {
      const g1 = tf.grads((xx: any, ww: any) => tf.sum(tf.mul(conv2d(xx, ww, b, { stride, padding: padding as any }), y1)))([x, w]);
      const g2 = tf.grads((xx: any, ww: any) => tf.sum(tf.mul(conv2dTrainable(xx, ww, b, { stride, padding: padding as any }), y1)))([x, w]);
      console.log('dx', tf.max(tf.abs(tf.sub(g1[0], g2[0]))).dataSync()[0], 'dw', tf.max(tf.abs(tf.sub(g1[1], g2[1]))).dataSync()[0]);
    } else {
      const g2 = tf.grads((xx: any, ww: any) => tf.sum(tf.mul(conv2dTrainable(xx, ww, b, { stride, padding: padding as any }), y1)))([x, w]);
      console.log('wasm grads ok', g2[1].shape);
    }
  }
}
