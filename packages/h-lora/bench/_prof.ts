import { tf, initBackend } from '@healthgpt/tensor-core';
await initBackend({ backend: 'wasm' });
const N = 4096, D = 1024, R = 64;
const x = tf.randomNormal([N, D]), gy = tf.randomNormal([N, D]);
const A = tf.variable(tf.randomNormal([R, D], 0, 0.03)), B = tf.variable(tf.randomNormal([D, R], 0, 0.03));
const W = tf.variable(tf.randomNormal([D, D], 0, 0.03), false);
const base = () => tf.matMul(x, W, false, true);
const k = 32;
const Rt = tf.variable(tf.randomNormal([k, D], 0, 0.03));
const fl = () => tf.tidy(() => tf.sum(base().add(tf.matMul(tf.matMul(x, A, false, true), B, false, true).mul(2)).mul(gy))) as tf.Scalar;
const fh = () => tf.tidy(() => {
  const both = tf.matMul(x, tf.concat([A, Rt], 0), false, true); const [xa, lg] = tf.split(both, [R, k], 1);
  const g = tf.softmax(lg).reshape([N, k, 1]); const gated = xa.mul(8).reshape([N, k, R / k]).mul(g).reshape([N, R]);
  return tf.sum(base().add(tf.matMul(gated, B, false, true)).mul(gy)); }) as tf.Scalar;
for (const [name, f, vars] of [['lora', fl, [A, B]], ['hlora32', fh, [A, B, Rt]], ['lora', fl, [A, B]], ['hlora32', fh, [A, B, Rt]]] as const) {
  const info = await tf.profile(() => { const { value, grads } = tf.variableGrads(f, vars as unknown as tf.Variable[]); value.dataSync(); Object.values(grads).forEach((g) => g.dataSync()); tf.dispose([value, ...Object.values(grads)]); });
  const byK = new Map<string, number>();
  let total = 0;
  for (const kk of info.kernels) { const ms = typeof kk.kernelTimeMs === 'number' ? kk.kernelTimeMs : 0; total += ms; const key = `${kk.name} ${JSON.stringify(kk.inputShapes)}`; byK.set(key, (byK.get(key) ?? 0) + ms); }
  console.log(`== ${name} total kernel ms ${total.toFixed(0)}`);
  [...byK].sort((a, b) => b[1] - a[1]).slice(0, 8).forEach(([kk, ms]) => console.log('  ', ms.toFixed(1), kk));
}
