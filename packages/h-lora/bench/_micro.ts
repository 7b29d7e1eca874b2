import { tf, initBackend } from '@healthgpt/tensor-core';
process.on('unhandledRejection', (r) => { console.log('REJ', r, new Error().stack); });
await initBackend({ backend: 'wasm' });
console.log('init ok');
const N = 4096, D = 1024, R = 64;
const x = tf.randomNormal([N, D]), gy = tf.randomNormal([N, D]);
const A = tf.variable(tf.randomNormal([R, D], 0, 0.03)), B = tf.variable(tf.randomNormal([D, R], 0, 0.03));
function time(name: string, f: () => tf.Scalar, vars: tf.Variable[]) {
  const ts: number[] = [];
  for (let i = 0; i < 6; i++) { const t0 = performance.now(); const { value, grads } = tf.variableGrads(f, vars); value.dataSync(); Object.values(grads).forEach((g) => g.dataSync()); tf.dispose([value, ...Object.values(grads)]); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b); console.log(name, ts[3].toFixed(0), 'ms');
}
time('lora', () => tf.sum(tf.matMul(tf.matMul(x, A, false, true), B, false, true).mul(2).mul(gy)), [A, B]);
for (const k of [8, 32]) {
  const Rt = tf.variable(tf.randomNormal([k, D], 0, 0.03));
  time(`hlora bcast k=${k}`, () => tf.tidy(() => {
    const both = tf.matMul(x, tf.concat([A, Rt], 0), false, true); const [xa, lg] = tf.split(both, [R, k], 1);
    const g = tf.softmax(lg).reshape([N, k, 1]); const gated = xa.mul(8).reshape([N, k, R / k]).mul(g).reshape([N, R]);
    return tf.sum(tf.matMul(gated, B, false, true).mul(gy)); }), [A, B, Rt]);
  time(`hlora expand k=${k}`, () => tf.tidy(() => {
    const both = tf.matMul(x, tf.concat([A, Rt], 0), false, true); const [xa, lg] = tf.split(both, [R, k], 1);
    const E = tf.tensor2d(Array.from({ length: k * R }, (_, i) => (Math.floor((i % R) / (R / k)) === Math.floor(i / R) ? 1 : 0)), [k, R]);
    const g = tf.matMul(tf.softmax(lg), E); const gated = xa.mul(8).mul(g);
    return tf.sum(tf.matMul(gated, B, false, true).mul(gy)); }), [A, B, Rt]);
  time(`hlora sep k=${k}`, () => tf.tidy(() => {
    const xa = tf.matMul(x, A, false, true); const lg = tf.matMul(x, Rt, false, true);
    const E = tf.tensor2d(Array.from({ length: k * R }, (_, i) => (Math.floor((i % R) / (R / k)) === Math.floor(i / R) ? 1 : 0)), [k, R]);
    const g = tf.matMul(tf.softmax(lg), E); const gated = xa.mul(8).mul(g);
    return tf.sum(tf.matMul(gated, B, false, true).mul(gy)); }), [A, B, Rt]);
}
