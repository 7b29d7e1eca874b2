import { it } from 'vitest';
import { tf, Generator, normal, Dropout, linear } from '@healthgpt/tensor-core';
import { describeBackends, expectClose } from '@healthgpt/testing';
import { injectAdapters, type AdaptedLinear } from '../index.js';
import { oneLayer } from '../modules.test_util.js';

function doraLayer(loraDropout = 0, dropoutSeed = 3) {
  const root = oneLayer(6, 5, 1);
  injectAdapters(root, { targets: ['layer'], kind: 'dora', config: { r: 3, loraAlpha: 6, loraDropout, dropoutSeed } });
  const layer = root.child<AdaptedLinear>('layer');
  const gen = new Generator(2);
  for (const [, v] of layer.adapterState('default')) tf.tidy(() => v.assign(normal(v.shape, 0, 0.5, gen)));
  return { root, layer, p: (n: string) => layer.adapterState('default').get(n)! };
}

describeBackends('DoRA', () => {
  it('with dropout in training, both paths see dropout(x), as in peft', () => {
    const { root, layer, p } = doraLayer(0.4, 11);
    root.train();
    const x = normal([8, 6], 0, 1, new Generator(4));
    const y = layer.forward(x);
    // The same mask from a Dropout with the adapter's seed.
    const xd = new Dropout(0.4, { seed: 11 }).forward(x);
    const ref = tf.tidy(() => {
      const W = layer.weight, s = 2;
      const n = tf.norm(W.add(tf.matMul(p('lora_B.weight'), p('lora_A.weight')).mul(s)), 'euclidean', 1);
      const f = p('lora_magnitude_vector.weight').div(n);
      const y0 = linear(x, W, layer.bias);
      const lora = tf.matMul(tf.matMul(xd, p('lora_A.weight'), false, true), p('lora_B.weight'), false, true);
      return y0.add(f.sub(1).mul(tf.matMul(xd, W, false, true))).add(f.mul(lora).mul(s));
    });
    expectClose(y, ref, { atol: 1e-5, rtol: 1e-5 }, 'training output');
    // In eval mode the same layer computes (m/n)·x(W0 + s·BA)ᵀ + b.
    root.eval();
    const ye = layer.forward(x);
    const refEval = tf.tidy(() => {
      const V = layer.weight.add(tf.matMul(p('lora_B.weight'), p('lora_A.weight')).mul(2));
      return linear(x, V.mul(p('lora_magnitude_vector.weight').div(tf.norm(V, 'euclidean', 1)).expandDims(1)), layer.bias);
    });
    expectClose(ye, refEval, { atol: 1e-5, rtol: 1e-5 }, 'eval output');
    tf.dispose([x, y, xd, ref, ye, refEval]);
    root.dispose();
  });

  it('merges on top of another merged adapter (its norm taken on the current weight) and unmerges back to W0', () => {
    const { root, layer } = doraLayer();
    root.eval();
    layer.addAdapter('lora', 'lora', { r: 2, loraAlpha: 2 }, { gen: new Generator(9) });
    for (const [, v] of layer.adapterState('lora')) tf.tidy(() => v.assign(normal(v.shape, 0, 0.5, new Generator(10))));
    const x = normal([4, 6], 0, 1, new Generator(4));
    const w0 = layer.weight.clone();
    layer.merge('lora');
    const y = layer.forward(x); // dora active on top of the merged lora
    layer.merge('default');
    const ym = layer.forward(x);
    expectClose(ym, y, { atol: 1e-5, rtol: 1e-5 }, 'dora merged on top of lora');
    layer.unmergeAll();
    expectClose(layer.weight, w0, { atol: 1e-5, rtol: 1e-5 }, 'W0');
    tf.dispose([x, w0, y, ym]);
    root.dispose();
  });
});
