import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, AdamW, useNativeMatmul } from '@healthgpt/tensor-core';
import { adamWKernelFor, nativeAdamWKernel } from '@healthgpt/tensor-core/internal';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { nativeAddon, nativeStatus } from '../kernels/native.js';
import { nativeAdamWServes, nativeAdamWStep, type AdamWSlot } from './adamw.js';

/** torch.optim.AdamW for one parameter, in float64: (p, m, v) after `steps` steps of the given gradients. */
function reference(p0: number[], grads: number[][], h: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }) {
  const p = [...p0];
  const m = p0.map(() => 0);
  const v = p0.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - h.lr * h.weightDecay;
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * g[i];
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * g[i] * g[i];
      p[i] -= (h.lr / (1 - h.beta1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - h.beta2 ** t) + h.eps));
    }
  });
  return { p, m, v };
}

const present = () => nativeAddon() !== null;

describeBackends('native AdamW (one pass per parameter)', () => {
  it('follows torch.optim.AdamW over several steps on random shapes and settings (float64 reference)', () => {
    if (!present()) return void expect(nativeStatus().reason).not.toBeNull();
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 3 }),
        fc.record({ lr: fc.double({ min: 1e-4, max: 0.1, noNaN: true }), beta1: fc.constantFrom(0.9, 0.8), beta2: fc.constantFrom(0.999, 0.95), eps: fc.constantFrom(1e-8, 1e-6), weightDecay: fc.constantFrom(0, 0.01, 0.1) }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (shape, h, steps, seed) => {
          const size = shape.reduce((a, b) => a * b, 1);
          const rnd = (k: number) => Array.from({ length: size }, (_, i) => Math.sin(seed * 7.1 + k * 3.3 + i * 1.7) * 2);
          const p0 = rnd(0).map(Math.fround);
          const grads = Array.from({ length: steps }, (_, s) => rnd(s + 1).map((x, i) => (i % 7 === 0 ? 0 : Math.fround(x))));
          const slot: AdamWSlot = { param: tf.variable(tf.tensor(p0, shape)), grad: tf.zeros(shape), expAvg: tf.zeros(shape), expAvgSq: tf.zeros(shape), step: 1, ...h };
          expect(nativeAdamWServes(slot)).toBe(true);
          for (let s = 0; s < steps; s++) {
            (slot as { grad: tf.Tensor }).grad.dispose();
            (slot as { grad: tf.Tensor }).grad = tf.tensor(grads[s], shape);
            (slot as { step: number }).step = s + 1;
            nativeAdamWStep(slot);
          }
          const want = reference(p0, grads, h);
          const close = (got: tf.Tensor, exp: number[], what: string) => {
            const g = got.dataSync();
            for (let i = 0; i < size; i++) expect(Math.abs(g[i] - exp[i]), `${what}[${i}]`).toBeLessThanOrEqual(2e-6 + 2e-6 * Math.abs(exp[i]));
          };
          close(slot.param, want.p, 'p');
          close(slot.expAvg, want.m, 'm');
          close(slot.expAvgSq, want.v, 'v');
          tf.dispose([slot.param, slot.grad, slot.expAvg, slot.expAvgSq]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('updates large parameters across the thread pool exactly as one thread does', () => {
    const addon = nativeAddon();
    if (!addon) return void expect(nativeStatus().reason).not.toBeNull();
    const n = 300_001; // several pool ranges, and a tail that is not a multiple of the vector width
    const run = (threads: number) => {
      addon.setPoolThreads(threads);
      const slot: AdamWSlot = { param: tf.variable(tf.linspace(-3, 3, n)), grad: tf.sin(tf.linspace(0, 50, n)), expAvg: tf.fill([n], 0.1), expAvgSq: tf.fill([n], 0.2), step: 3, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 };
      nativeAdamWStep(slot);
      const out = [slot.param, slot.expAvg, slot.expAvgSq].map((t) => Buffer.from((t.dataSync() as Float32Array).slice().buffer));
      tf.dispose([slot.param, slot.grad, slot.expAvg, slot.expAvgSq]);
      return out;
    };
    const before = addon.poolThreads();
    try {
      const [threaded, single] = [run(3), run(1)];
      threaded.forEach((bytes, i) => expect(bytes.equals(single[i]), ['p', 'm', 'v'][i]).toBe(true));
    } finally {
      addon.setPoolThreads(before);
    }
  });

  it('leaves exactly the new parameter and moments behind (no leaked tensor)', async () => {
    if (!present()) return void expect(nativeStatus().reason).not.toBeNull();
    const slot: AdamWSlot = { param: tf.variable(tf.ones([64, 3])), grad: tf.ones([64, 3]), expAvg: tf.zeros([64, 3]), expAvgSq: tf.zeros([64, 3]), step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    await expectNoLeaks(() => {
      nativeAdamWStep(slot);
      (slot as { step: number }).step++;
      return null;
    }, { what: 'nativeAdamWStep' });
    tf.dispose([slot.param, slot.grad, slot.expAvg, slot.expAvgSq]);
  });
});

describe('the optimizer seam', () => {
  it('tensor-core registers the native AdamW on wasm and cpu; switched off, the one-pass kernel does the same step', () => {
    expect(adamWKernelFor('wasm')).toBe(nativeAdamWKernel);
    expect(adamWKernelFor('cpu')).toBe(nativeAdamWKernel);
    const run = (native: boolean) => {
      useNativeMatmul(native);
      try {
        const w = tf.variable(tf.linspace(-1, 1, 12).reshape([3, 4]));
        const opt = new AdamW([['w', w]], { lr: 0.05, weightDecay: 0.1 });
        const g = new Map([['w', tf.cos(tf.linspace(0, 3, 12)).reshape([3, 4])]]);
        for (let i = 0; i < 3; i++) opt.step(g);
        const out = Array.from(w.dataSync());
        tf.dispose([w, ...g.values()]);
        opt.dispose();
        return { out, name: nativeAdamWKernel.name };
      } finally {
        useNativeMatmul(true);
      }
    };
    const on = run(true);
    const off = run(false);
    expect(off.name).toBe('pass');
    expect(on.name).toBe(nativeAddon() ? 'native' : 'pass');
    on.out.forEach((x, i) => expect(Math.abs(x - off.out[i])).toBeLessThan(1e-6));
  });
});

describe('native AdamW arguments', () => {
  it('rejects operands shorter than n with a native error', () => {
    const addon = nativeAddon();
    if (!addon) return void expect(nativeStatus().reason).not.toBeNull();
    const x = new Float32Array(4);
    expect(() => addon.adamw(x, 0, x, 0, x, 0, x, 0, x, 0, x, 0, x, 1, 4, 1e-3, 0.9, 0.999, 1e-8, 0, 0.1, 0.001)).toThrow(/n floats after its offset/);
    expect(() => addon.adamw(x, 0, x, 0, x, 0, x, 0, x, 0, x, 0, x, 0, 4, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.001)).toThrow(/bias corrections/);
  });
});
