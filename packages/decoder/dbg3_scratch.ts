import { tf, initBackend, applyRotary, rotaryCosSin, rmsNorm } from '@healthgpt/tensor-core';
await initBackend({ backend: 'wasm' });
async function cmp(name: string, f: (xs: tf.Tensor[]) => tf.Tensor, shapes: number[][]) {
  const xs = shapes.map((s) => tf.randomNormal(s)); const vals = xs.map((x) => x.arraySync());
  const w = f(xs).dataSync();
  await tf.setBackend('cpu');
  const c = f(vals.map((v) => tf.tensor(v as any))).dataSync();
  await tf.setBackend('wasm');
  let mx = 0; for (let i = 0; i < c.length; i++) mx = Math.max(mx, Math.abs(c[i] - w[i]));
  console.log(name, shapes, 'maxdiff', mx);
}
await cmp('transpose0213', ([x]) => x.reshape([2, 1, 4, 4]).transpose([0, 2, 1, 3]), [[2, 1, 16]]);
await cmp('transpose0213 T3', ([x]) => x.reshape([2, 3, 4, 4]).transpose([0, 2, 1, 3]), [[2, 3, 16]]);
await cmp('split', ([x]) => tf.split(x, [8, 4, 4], -1)[1], [[2, 1, 16]]);
await cmp('softmax1', ([x]) => tf.softmax(x, -1), [[2, 2, 2, 1]]);
await cmp('rmsnorm', ([x, w]) => rmsNorm(x, w.reshape([16]), 1e-5), [[2, 1, 16], [16]]);
await cmp('rotary', ([x]) => { const p = tf.tensor2d([[0], [0]], [2, 1], 'int32'); const { cos, sin } = rotaryCosSin(p, 4, 10000); return applyRotary(x, cos, sin); }, [[2, 4, 1, 4]]);
await cmp('rotary3', ([x]) => { const p = tf.tensor2d([[3], [5]], [2, 1], 'int32'); const { cos, sin } = rotaryCosSin(p, 4, 10000); return applyRotary(x, cos, sin); }, [[2, 4, 1, 4]]);
await cmp('transpose back', ([x]) => x.transpose([0, 2, 1, 3]).reshape([2, 1, 16]), [[2, 4, 1, 4]]);
await cmp('gather', ([w]) => tf.gather(w, tf.tensor1d([5, 8], 'int32')), [[48, 16]]);
