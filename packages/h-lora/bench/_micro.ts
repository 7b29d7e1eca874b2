import { tf, initBackend } from '@healthgpt/tensor-core';
await initBackend({ backend: 'wasm' });
const N = 4096, D = 1024, R = 64;
const x = tf.randomNormal([N, D]), gy = tf.randomNormal([N, D]);
const A = tf.variable(tf.randomNormal([R, D], 0, 0.03)), B = tf.variable(tf.randomNormal([D, R], 0, 0.03));
const W = tf.variable(tf.randomNormal([D, D], 0, 0.03), false);
const cases: [string, () => tf.Scalar, tf.Variable[]][] = [];
const base = () => tf.matMul(x, W, false, true);
cases.push(['lora', () => tf.tidy(() => tf.sum(base().add(tf.matMul(tf.matMul(x, A, false, true), B, false, true).mul(2)).mul(gy))), [A, B]]);
const E = (k: number) => tf.tensor2d(Array.from({ length: k * R }, (_, i) => (Math.floor((i % R) / (R / k)) === Math.floor(i / R) ? 1 : 0)), [k, R]);
for (const k of [4, 32]) {
  const Rt = tf.variable(tf.randomNormal([k, D], 0, 0.03));
  cases.push([`bcast k=${k}`, () => tf.tidy(() => {
    const both = tf.matMul(x, tf.concat([A, Rt], 0), false, true); const [xa, lg] = tf.split(both, [R, k], 1);
    const g = tf.softmax(lg).reshape([N, k, 1]); const gated = xa.mul(8).reshape([N, k, R / k]).mul(g).reshape([N, R]);
    return tf.sum(base().add(tf.matMul(gated, B, false, true)).mul(gy)); }), [A, B, Rt]]);
  cases.push([`expand k=${k}`, () => tf.tidy(() => {
    const both = tf.matMul(x, tf.concat([A, Rt], 0), false, true); const [xa, lg] = tf.split(both, [R, k], 1);
    const g = tf.matMul(tf.softmax(lg), E(k)); const gated = xa.mul(8).mul(g);
    return tf.sum(base().add(tf.matMul(gated, B, false, true)).mul(gy)); }), [A, B, Rt]]);
  cases.push([`sep k=${k}`, () => tf.tidy(() => {
    const xa = tf.matMul(x, A, false, true); const lg = tf.matMul(x, Rt, false, true);
    const g = tf.softmax(lg).reshape([N, k, 1]); const gated = xa.mul(8).reshape([N, k, R / k]).mul(g).reshape([N, R]);
    return tf.sum(base().add(tf.matMul(gated, B, false, true)).mul(gy)); }), [A, B, Rt]]);
}
const ms = cases.map(() => [] as number[]);
for (let r = 0; r < 8; r++) cases.forEach(([, f, vars], i) => {
  const t0 = performance.now(); const { value, grads } = tf.variableGrads(f, vars); value.dataSync(); Object.values(grads).forEach((g) => g.dataSync()); tf.dispose([value, ...Object.values(grads)]);
  if (r > 0) ms[i].push(performance.now() - t0);
});
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
cases.forEach(([n], i) => console.log(n, med(ms[i]).toFixed(0), 'ms', 'ratio', med(ms[i].map((t, r) => t / ms[0][r])).toFixed(3)));
