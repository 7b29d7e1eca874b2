import { afterEach, describe, expect, it } from 'vitest';
import { tf, AdamW } from '@healthgpt/tensor-core';
import { registerAdamWKernel, adamWKernelFor, tfjsAdamWKernel } from '@healthgpt/tensor-core/internal';
import type { AdamWEntry, AdamWKernel } from '@healthgpt/tensor-core';

/** A kernel that records its calls and delegates to the tfjs one. */
function recording(): AdamWKernel & { calls: AdamWEntry[][] } {
  const calls: AdamWEntry[][] = [];
  return { name: 'recording', calls, update: (entries) => (calls.push(entries.map((e) => ({ ...e }))), tfjsAdamWKernel.update(entries)) };
}

describe('AdamW update kernels', () => {
  // tensor-core registers its native kernel on wasm and cpu: put back whatever was there.
  const before = adamWKernelFor();
  afterEach(() => registerAdamWKernel(tf.getBackend(), before === tfjsAdamWKernel ? null : before));

  it('gets every parameter with a gradient, across groups, in one call, with its settings and step', () => {
    const k = recording();
    const [a, b, c] = [tf.variable(tf.ones([2])), tf.variable(tf.ones([3])), tf.variable(tf.ones([1]))];
    const opt = new AdamW([{ params: [['a', a], ['c', c]], lr: 0.1, weightDecay: 0.5 }, { params: [['b', b]], betas: [0.8, 0.9] }], { kernel: k, lr: 0.01 });
    const g = new Map([['a', tf.ones([2])], ['b', tf.ones([3])]]);
    opt.step(g);
    opt.step(g);
    expect(k.calls.length).toBe(2);
    expect(k.calls[1].map((e) => [e.name, e.step, e.lr, e.beta1, e.beta2, e.weightDecay])).toEqual([
      ['a', 2, 0.1, 0.9, 0.999, 0.5],
      ['b', 2, 0.01, 0.8, 0.9, 0.01],
    ]);
    expect(k.calls[0][0].param).toBe(a);
    tf.dispose([a, b, c, ...g.values()]);
    opt.dispose();
  });

  it('a kernel registered for the active backend is used; removing it restores the tfjs kernel', () => {
    const k = recording();
    expect(adamWKernelFor()).toBe(before);
    registerAdamWKernel(tf.getBackend(), k);
    expect(adamWKernelFor()).toBe(k);
    const a = tf.variable(tf.ones([2]));
    const opt = new AdamW([['a', a]]);
    const g = new Map([['a', tf.ones([2])]]);
    opt.step(g);
    expect(k.calls.length).toBe(1);
    registerAdamWKernel(tf.getBackend(), null);
    expect(adamWKernelFor()).toBe(tfjsAdamWKernel);
    tf.dispose([a, ...g.values()]);
    opt.dispose();
  });
});
