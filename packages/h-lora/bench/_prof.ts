import { tf, initBackend, Module, Linear, Generator, normal, type Tensor } from '@healthgpt/tensor-core';
import { injectAdapters, markOnlyAdapterTrainable } from '../src/index.js';
await initBackend({ backend: 'wasm' });
class Stack extends Module { constructor(gen: Generator) { super(); for (let i = 0; i < 2; i++) this.registerModule(`l${i}`, new Linear(1024, 1024, { bias: false, gen })); }
  forward(x: Tensor): Tensor { return tf.tidy(() => { let h = x; for (let i = 0; i < 2; i++) h = this.child<Linear>(`l${i}`).forward(h); return h; }); } }
const x = normal([4096, 1024], 0, 1, new Generator(1)), gy = normal([4096, 1024], 0, 1, new Generator(2));
const models = ([['lora', 0], ['hlora', 2], ['hlora', 32]] as const).map(([kind, k]) => {
  const m = new Stack(new Generator(1));
  injectAdapters(m, { targets: (p) => p.startsWith('l'), kind, config: k ? { r: 64, loraAlpha: 128, loraNums: k } : { r: 64, loraAlpha: 128 } });
  markOnlyAdapterTrainable(m, 'default'); m.train();
  return [`${kind}${k}`, m] as const;
});
const sums = new Map<string, Map<string, number[]>>();
for (let round = 0; round < 4; round++) for (const [name, m] of models) {
  const info = await tf.profile(() => { const { loss, grads } = m.computeGradients(() => tf.sum(tf.mul(m.forward(x), gy)) as tf.Scalar); loss.dataSync(); tf.dispose([loss, ...grads.values()]); });
  if (round === 0) continue;
  const by = sums.get(name) ?? new Map<string, number[]>(); sums.set(name, by);
  const tot = new Map<string, number>();
  for (const kk of info.kernels) { const key = `${kk.name} ${JSON.stringify(kk.inputShapes)}`; tot.set(key, (tot.get(key) ?? 0) + (kk.kernelTimeMs as number)); tot.set('TOTAL', (tot.get('TOTAL') ?? 0) + (kk.kernelTimeMs as number)); tot.set('#kernels', (tot.get('#kernels') ?? 0) + 1); }
  for (const [k, v] of tot) { const a = by.get(k) ?? []; a.push(v); by.set(k, a); }
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const [name, by] of sums) { console.log('==', name); [...by].map(([k, v]) => [k, med(v)] as const).sort((a, b) => b[1] - a[1]).slice(0, 22).forEach(([k, v]) => console.log('  ', v.toFixed(1), k)); }
