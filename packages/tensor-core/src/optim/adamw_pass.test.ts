import { it, expect, describe, afterAll } from 'vitest';
import fc from 'fast-check';
import { tf, AdamW, TensorCoreError, useNativeMatmul } from '@healthgpt/tensor-core';
import { adamWKernelFor, tfjsAdamWKernel } from '@healthgpt/tensor-core/internal';
import { describeBackends, expectNoLeaks, randomValues, wasmAndCpu, withoutNativePath } from '@healthgpt/testing';
import { adamWPassIsSimd, constants, passAdamWKernel, passAdamWServes, passAdamWStep, simdAdamWOn, type AdamWAttrs } from './adamw_pass.js';
import type { AdamWEntry } from './adamw_kernel.js';
import { WebAssemblyApi } from '../kernels/wasm_simd.js';

/** float32's unit roundoff. */
const U = 2 ** -24;

type Hyper = Omit<AdamWAttrs, 'step'>;

/**
 * One torch.optim.AdamW step in float64 from a float32 state, and a bound on the float32 kernel's
 * error per element. Each float32 operation adds at most one relative rounding u, and the eight
 * constants (β₁, 1 − β₁, …) one each: m is off by at most 4u·(|m₀|β₁ + |g|(1 − β₁)) (its two
 * products, the constant and the sum), v by 6u·v (all its terms are ≥ 0), the denominator by 7u
 * relatively (half of v's through √, then √, ÷ √bc₂ and its constant, + eps), and the new p by
 * 2u·|p|·(1 − lr·wd) (decay constant and product) + u·|p′| (the last sum) + the quotient's error,
 * |step|/denom·(13u·Sₘ) with Sₘ = |m₀|β₁ + |g|(1 − β₁) ≥ |m|. The checks allow twice these.
 */
function reference(p: number, g: number, m0: number, v0: number, h: Hyper, t: number) {
  const m = h.beta1 * m0 + (1 - h.beta1) * g;
  const v = h.beta2 * v0 + (1 - h.beta2) * g * g;
  const denom = Math.sqrt(v) / Math.sqrt(1 - h.beta2 ** t) + h.eps;
  const step = h.lr / (1 - h.beta1 ** t);
  const decay = 1 - h.lr * h.weightDecay;
  const pNew = p * decay - (step * m) / denom;
  const sm = Math.abs(m0) * h.beta1 + Math.abs(g) * (1 - h.beta1);
  const tiny = 1e-37; // below this, float32 subnormals lose relative precision
  return {
    p: pNew,
    m,
    v,
    tolP: 2 * (2 * U * Math.abs(p) * decay + U * Math.abs(pNew) + (13 * U * step * sm) / denom) + tiny,
    tolM: 2 * 4 * U * sm + tiny,
    tolV: 2 * 6 * U * v + tiny,
  };
}

const hyper = fc.record({
  lr: fc.double({ min: 1e-5, max: 0.1, noNaN: true }),
  beta1: fc.constantFrom(0.9, 0.8, 0.5),
  beta2: fc.constantFrom(0.999, 0.95, 0.9),
  eps: fc.constantFrom(1e-8, 1e-6, 1e-3),
  weightDecay: fc.constantFrom(0, 0.01, 0.1),
});

/** A float32 state of n elements: p and g in [−3, 3), m in [−1, 1), v ≥ 0, every 7th gradient 0. */
function state(n: number, seed: number) {
  const p = randomValues(n, seed).map((x) => 3 * x);
  const g = randomValues(n, seed + 1).map((x, i) => (i % 7 === 3 ? 0 : 3 * x));
  const m = randomValues(n, seed + 2);
  const v = randomValues(n, seed + 3).map((x) => x * x);
  return { p, g, m, v };
}

function entry(shape: number[], s: ReturnType<typeof state>, h: Hyper, step: number): Omit<AdamWEntry, 'name'> {
  return { param: tf.variable(tf.tensor(s.p, shape)), grad: tf.tensor(s.g, shape), expAvg: tf.tensor(s.m, shape), expAvgSq: tf.tensor(s.v, shape), step, ...h };
}

const disposeEntry = (e: Omit<AdamWEntry, 'name'>) => tf.dispose([e.param, e.grad, e.expAvg, e.expAvgSq]);

describeBackends('AdamW in one pass (no native addon)', (backend) => {
  withoutNativePath();

  it('is the registered update kernel with the native path off, as WebAssembly SIMD on wasm', () => {
    expect(adamWKernelFor().name).toBe('pass');
    expect(adamWPassIsSimd()).toBe(backend === 'wasm');
  });

  it('follows torch.optim.AdamW within the float32 rounding bound, any size (SIMD body and tail) and step (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 11 }), { minLength: 1, maxLength: 3 }), hyper, fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 1e6 }), (shape, h, t, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const s = state(n, seed);
        const e = entry(shape, s, h, t);
        expect(passAdamWServes(e)).toBe(true);
        passAdamWStep(e);
        const [p, m, v] = [e.param, e.expAvg, e.expAvgSq].map((x) => x.dataSync());
        for (let i = 0; i < n; i++) {
          const r = reference(s.p[i], s.g[i], s.m[i], s.v[i], h, t);
          expect(Math.abs(m[i] - r.m), `m[${i}]`).toBeLessThanOrEqual(r.tolM);
          expect(Math.abs(v[i] - r.v), `v[${i}]`).toBeLessThanOrEqual(r.tolV);
          expect(Math.abs(p[i] - r.p), `p[${i}]`).toBeLessThanOrEqual(r.tolP);
        }
        disposeEntry(e);
      }),
      { numRuns: 60 },
    );
  });

  it('trains like the tfjs kernel: five optimizer steps over two groups agree within float32 rounding', () => {
    const run = (kernel: typeof tfjsAdamWKernel) => {
      const a = tf.variable(tf.tensor(randomValues(37, 5), [37]));
      const b = tf.variable(tf.tensor(randomValues(12, 6), [3, 4]));
      const opt = new AdamW([{ params: [['a', a]], weightDecay: 0 }, { params: [['b', b]], lr: 0.05, weightDecay: 0.1 }], { kernel, lr: 0.01 });
      for (let s = 0; s < 5; s++) {
        const g = new Map([['a', tf.tensor(randomValues(37, 10 + s), [37])], ['b', tf.tensor(randomValues(12, 20 + s), [3, 4])]]);
        opt.step(g);
        tf.dispose([...g.values()]);
      }
      const out = [...a.dataSync(), ...b.dataSync()];
      tf.dispose([a, b]);
      opt.dispose();
      return out;
    };
    const pass = run(passAdamWKernel);
    const ops = run(tfjsAdamWKernel);
    // Each step moves p by at most ~lr·(1 + rounding); two float32 paths differ by a few ulps of
    // p (|p| < 1.3) and of each step: 5 steps · 16u · 1.3 < 1e-5.
    pass.forEach((x, i) => expect(Math.abs(x - ops[i]), `element ${i}`).toBeLessThan(1e-5));
  });

  it('leaves exactly the new parameter and moments behind (no leaked tensor)', async () => {
    const e = entry([5, 7], state(35, 3), { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }, 1);
    await expectNoLeaks(() => {
      passAdamWStep(e);
      (e as { step: number }).step++;
      return null;
    }, { what: 'passAdamWStep' });
    disposeEntry(e);
  });

  it('rejects moments of another size and a step below 1 with typed errors', () => {
    const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    const bad = { ...entry([4], state(4, 1), h, 1) };
    const short = tf.zeros([3]);
    const m = bad.expAvg;
    bad.expAvg = short;
    expect(() => passAdamWStep(bad)).toThrow(TensorCoreError);
    expect(() => passAdamWStep(bad)).toThrow(/4 elements, got 4, 3 and 4/);
    bad.expAvg = m;
    expect(() => passAdamWStep({ ...bad, step: 0 })).toThrow(/step number t ≥ 1, got 0/);
    disposeEntry(bad);
    short.dispose();
  });
});

describe('AdamW in one pass across backends', () => {
  afterAll(() => {
    useNativeMatmul(true);
  });

  it('gives bit for bit the same step as WebAssembly SIMD on wasm and as a JavaScript loop on cpu (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 70 }), hyper, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 1e6 }), async (n, h, t, seed) => {
        const s = state(n, seed);
        const step = () => {
          const e = entry([n], s, h, t);
          passAdamWStep(e);
          const out = tf.concat([e.param, e.expAvg, e.expAvgSq]);
          disposeEntry(e);
          return out;
        };
        const { wasm, cpu } = await wasmAndCpu(step);
        expect(Buffer.from(wasm.values.buffer).equals(Buffer.from(cpu.values.buffer))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('runs on a plain and on a shared memory (the one-thread and threaded wasm builds), writing only its outputs', () => {
    for (const memory of [new WebAssemblyApi.Memory({ initial: 1 }), new WebAssemblyApi.Memory({ initial: 1, maximum: 4, shared: true })]) {
      const kernel = simdAdamWOn(memory);
      expect(kernel).not.toBeNull();
      const n = 24; // six SIMD groups
      const heap = new Float32Array(memory.buffer);
      const s = state(n, 11);
      [s.p, s.g, s.m, s.v].forEach((x, k) => heap.set(x, k * 32));
      heap.fill(7, 128, 256); // outputs at 128, 160, 192; a guard after them
      const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 3 };
      kernel!(0, 128, 256, 384, 512, 640, 768, n * 4, ...constants(h));
      for (let i = 0; i < n; i++) {
        const r = reference(s.p[i], s.g[i], s.m[i], s.v[i], h, h.step);
        expect(Math.abs(heap[128 + i] - r.p)).toBeLessThanOrEqual(r.tolP);
        expect(Math.abs(heap[160 + i] - r.m)).toBeLessThanOrEqual(r.tolM);
        expect(Math.abs(heap[192 + i] - r.v)).toBeLessThanOrEqual(r.tolV);
      }
      expect(heap.subarray(128 + n, 160).every((x) => x === 7)).toBe(true);
      expect(heap.subarray(224 - 8, 224).every((x) => x === 7)).toBe(true);
    }
  });
});
