import { tf, initBackend } from '@healthgpt/tensor-core';
import { VQTokenizer, PRESETS } from './src/index.js';
await initBackend({ backend: (process.argv[2] ?? 'wasm') as 'wasm' });
const m = new VQTokenizer(PRESETS.f8_64px());
m.train();
const x = tf.randomUniform([8, 3, 64, 64], -1, 1);
const step = () => tf.tidy(() => {
  const { value, grads } = tf.variableGrads(() => {
    const o = m.trainForward(x, { temperature: 1, seed: 1 });
    return tf.add(tf.mean(tf.abs(tf.sub(o.recon, x))), o.loss) as tf.Scalar;
  }, m.parameters());
  value.dataSync();
});
step();
const p = await tf.profile(step);
const agg = new Map<string, number>();
for (const k of p.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log([...agg].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('\n'));
const convs = p.kernels.filter(k => k.name === 'Conv2D' || k.name === 'Conv2DBackpropInput').map(k => [k.name, JSON.stringify(k.inputShapes), (k.kernelTimeMs as number).toFixed(0)]).sort((a, b) => +b[2] - +a[2]).slice(0, 12);
console.log(convs.map(c => c.join(' ')).join('\n'));
