import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, AdamW, useNativeMatmul } from '@healthgpt/tensor-core';
import { adamWKernelFor, nativeAdamWKernel } from '@healthgpt/tensor-core/internal';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { nativeAddon, nativeStatus } from '../kernels/native.js';
import { nativeAdamWServes, nativeAdamWSteps, ADAMW_KERNEL, type AdamWSlot } from './adamw.js';

type Hyper = { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };

/** torch.optim.AdamW for one parameter, in float64: (p, m, v) after `steps` steps of the given gradients. */
function reference(p0: number[], grads: number[][], h: Hyper) {
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

/**
 * torch.optim.AdamW's step t in float32, operation by operation in its order (each +, −, ·, / and
 * √ of two float32 values rounded once, which a double operation followed by `fround` does
 * exactly): what the kernel must return bit for bit.
 */
function float32Step(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: Hyper, t: number) {
  const f = Math.fround;
  const decay = f(1 - h.lr * h.weightDecay);
  const [b1, c1, b2, c2] = [f(h.beta1), f(1 - h.beta1), f(h.beta2), f(1 - h.beta2)];
  const bc2 = f(Math.sqrt(1 - h.beta2 ** t));
  const eps = f(h.eps);
  const step = f(-h.lr / (1 - h.beta1 ** t));
  const out = { p: new Float32Array(p.length), m: new Float32Array(p.length), v: new Float32Array(p.length) };
  for (let i = 0; i < p.length; i++) {
    const mi = f(f(m[i] * b1) + f(g[i] * c1));
    const vi = f(f(v[i] * b2) + f(f(c2 * g[i]) * g[i]));
    const denom = f(f(f(Math.sqrt(vi)) / bc2) + eps);
    out.p[i] = f(f(p[i] * decay) + f(f(step * mi) / denom));
    out.m[i] = mi;
    out.v[i] = vi;
  }
  return out;
}

const present = () => nativeAddon() !== null;
const bits = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
/** Settings of one parameter group (β₁ = 0 included: bias correction 1). */
const hyper = fc.record({ lr: fc.double({ min: 1e-6, max: 0.3, noNaN: true }), beta1: fc.constantFrom(0.9, 0.5, 0), beta2: fc.constantFrom(0.999, 0.99, 0.9), eps: fc.constantFrom(1e-8, 1e-5, 1e-3), weightDecay: fc.constantFrom(0, 0.01, 0.3) });

/** Deterministic float32 values in [−scale, scale], every 7th element 0 (sizes up to ~10⁵ are too long for arbitraries). */
function values(n: number, seed: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : Math.fround(Math.sin(seed * 7.1 + i * 1.7) * scale)));
}

function slotOf(n: number, seed: number, h: Hyper, step: number): AdamWSlot {
  return {
    param: tf.variable(tf.tensor1d(values(n, seed, 2))),
    grad: tf.tensor1d(values(n, seed + 1, 10 ** ((seed % 9) - 6))), // gradients from 1e-6 to 100
    expAvg: tf.keep(tf.tensor1d(values(n, seed + 2, 0.5))),
    expAvgSq: tf.keep(tf.tensor1d(values(n, seed + 3, 1).map((x) => x * x * 10 ** ((seed % 5) - 4)))),
    step,
    ...h,
  };
}

const disposeSlots = (slots: AdamWSlot[]) => tf.dispose(slots.flatMap((s) => [s.param, s.grad, s.expAvg, s.expAvgSq]));

describeBackends('native AdamW (every parameter in one call)', () => {
  it('equals torch.optim.AdamW in float32, operation by operation, bit for bit: many parameters, settings and step counts in one call', () => {
    if (!present()) return void expect(nativeStatus().reason).not.toBeNull();
    fc.assert(
      fc.property(
        fc.array(fc.record({ n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 16_000, max: 40_000 })), h: hyper, step: fc.integer({ min: 1, max: 2000 }), seed: fc.integer({ min: 0, max: 10_000 }) }), { minLength: 1, maxLength: 6 }),
        (specs) => {
          const slots = specs.map(({ n, h, step, seed }) => slotOf(n, seed, h, step));
          const want = slots.map((s) => float32Step(...([s.param, s.grad, s.expAvg, s.expAvgSq].map((t) => t.dataSync() as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array]), s, s.step));
          expect(slots.every(nativeAdamWServes)).toBe(true);
          nativeAdamWSteps(slots);
          slots.forEach((s, i) => {
            expect(bits(s.param.dataSync() as Float32Array).equals(bits(want[i].p)), `p of parameter ${i}`).toBe(true);
            expect(bits(s.expAvg.dataSync() as Float32Array).equals(bits(want[i].m)), `m of parameter ${i}`).toBe(true);
            expect(bits(s.expAvgSq.dataSync() as Float32Array).equals(bits(want[i].v)), `v of parameter ${i}`).toBe(true);
          });
          disposeSlots(slots);
        },
      ),
      { numRuns: 40 },
    );
  });

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
          for (let s = 0; s < steps; s++) {
            (slot as { grad: tf.Tensor }).grad.dispose();
            (slot as { grad: tf.Tensor }).grad = tf.tensor(grads[s], shape);
            (slot as { step: number }).step = s + 1;
            nativeAdamWSteps([slot]);
          }
          const want = reference(p0, grads, h);
          const close = (got: tf.Tensor, exp: number[], what: string) => {
            const g = got.dataSync();
            for (let i = 0; i < size; i++) expect(Math.abs(g[i] - exp[i]), `${what}[${i}]`).toBeLessThanOrEqual(2e-6 + 2e-6 * Math.abs(exp[i]));
          };
          close(slot.param, want.p, 'p');
          close(slot.expAvg, want.m, 'm');
          close(slot.expAvgSq, want.v, 'v');
          disposeSlots([slot]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('updates large parameters across threads exactly as one thread does', () => {
    const addon = nativeAddon();
    if (!addon) return void expect(nativeStatus().reason).not.toBeNull();
    // Several blocks per parameter, tails that are not multiples of the block or the vector width.
    const sizes = [300_001, 5, 16_384, 70_000];
    const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 };
    const run = (threads: number) => {
      addon.setThreads(threads);
      addon.setPoolThreads(threads);
      const slots = sizes.map((n, i) => slotOf(n, 10 + i, h, 3 + i));
      nativeAdamWSteps(slots);
      const out = slots.flatMap((s) => [s.param, s.expAvg, s.expAvgSq].map((t) => Buffer.from((t.dataSync() as Float32Array).slice().buffer)));
      disposeSlots(slots);
      return out;
    };
    const [blasBefore, poolBefore] = [addon.blasInfo()?.threads ?? null, addon.poolThreads()];
    try {
      const [threaded, single] = [run(3), run(1)];
      threaded.forEach((bytes, i) => expect(bytes.equals(single[i]), `parameter ${Math.floor(i / 3)}, ${['p', 'm', 'v'][i % 3]}`).toBe(true));
    } finally {
      if (blasBefore !== null) addon.setThreads(blasBefore);
      addon.setPoolThreads(poolBefore);
    }
  });

  it('updates the moments in place and gives the parameter new data; moments shared with another tensor are copied first', () => {
    if (!present()) return void expect(nativeStatus().reason).not.toBeNull();
    const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    const [a, b] = [slotOf(50, 1, h, 1), slotOf(60, 2, h, 4)];
    const ids = [a.param.dataId, a.expAvg.dataId, a.expAvgSq.dataId];
    const [aM, aV] = [a.expAvg, a.expAvgSq];
    const shared = b.expAvg.clone(); // e.g. a stateDict entry the caller still holds
    const before = shared.dataSync().slice();
    nativeAdamWSteps([a, b]);
    expect(a.param.dataId).not.toBe(ids[0]);
    expect([a.expAvg.dataId, a.expAvgSq.dataId]).toEqual(ids.slice(1));
    expect([a.expAvg, a.expAvgSq]).toEqual([aM, aV]);
    expect(Array.from(shared.dataSync())).toEqual(Array.from(before));
    expect(b.expAvg.isDisposed).toBe(false);
    expect(Array.from(b.expAvg.dataSync())).not.toEqual(Array.from(before));
    tf.dispose(shared);
    disposeSlots([a, b]);
  });

  it("a held stateDict keeps its values across later steps, and loading it resumes bit for bit", () => {
    const w = tf.variable(tf.linspace(-1, 1, 40).reshape([5, 8]));
    const opt = new AdamW([['w', w]], { lr: 0.05, weightDecay: 0.1 });
    const g = new Map([['w', tf.cos(tf.linspace(0, 9, 40)).reshape([5, 8])]]);
    opt.step(g);
    const dict = opt.stateDict();
    const saved = new Map([...dict].map(([k, t]) => [k, Array.from(t.dataSync())]));
    const w1 = w.clone();
    opt.step(g);
    opt.step(g);
    for (const [k, t] of dict) expect(Array.from(t.dataSync()), k).toEqual(saved.get(k));
    const after = w.dataSync().slice();
    const v = tf.variable(w1);
    const resumed = new AdamW([['w', v]], { lr: 0.05, weightDecay: 0.1 });
    resumed.loadStateDict(dict);
    resumed.step(g); // moments still shared with the caller's dict
    resumed.step(g);
    expect(bits(v.dataSync() as Float32Array).equals(bits(after as Float32Array))).toBe(true);
    for (const [k, t] of dict) expect(Array.from(t.dataSync()), k).toEqual(saved.get(k));
    tf.dispose([w, w1, v, ...g.values(), ...dict.values()]);
    opt.dispose();
    resumed.dispose();
  });

  it('runs an optimizer step as one kernel call whatever the number of parameters and groups', () => {
    if (!present()) return void expect(nativeStatus().reason).not.toBeNull();
    const vars = [tf.variable(tf.ones([3, 4])), tf.variable(tf.ones([4])), tf.variable(tf.ones([2, 2, 2]))];
    const opt = new AdamW([{ params: [['a', vars[0]], ['b', vars[1]]] }, { params: [['c', vars[2]]], weightDecay: 0, lr: 0.1 }]);
    const g = new Map(vars.map((v, i) => ['abc'[i], tf.onesLike(v)]));
    let calls = 0;
    opt.step(g); // registers the kernel on first use
    const kernel = tf.getKernel(ADAMW_KERNEL, tf.getBackend())!;
    const inner = kernel.kernelFunc;
    (kernel as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => (calls++, inner(args));
    try {
      opt.step(g);
      opt.step(g);
    } finally {
      (kernel as { kernelFunc: tf.KernelFunc }).kernelFunc = inner;
    }
    expect(calls).toBe(2);
    tf.dispose([...vars, ...g.values()]);
    opt.dispose();
  });

  it('leaves no tensor behind: the parameters get new data, the moments keep theirs', async () => {
    if (!present()) return void expect(nativeStatus().reason).not.toBeNull();
    const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    const slots = [slotOf(192, 3, h, 1), slotOf(20_000, 4, h, 1)];
    const shared = slots[1].expAvgSq.clone();
    await expectNoLeaks(() => {
      nativeAdamWSteps(slots);
      for (const s of slots) (s as { step: number }).step++;
      return null;
    }, { what: 'nativeAdamWSteps' });
    tf.dispose(shared);
    disposeSlots(slots);
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
  it('rejects operands shorter than n, unknown arrays and bad bias corrections with a native error naming the parameter', () => {
    const addon = nativeAddon();
    if (!addon) return void expect(nativeStatus().reason).not.toBeNull();
    const x = new Float32Array(8);
    const row = (over: Partial<Record<number, number>>) => {
      const r = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1e-3, 0.9, 0.999, 1e-8, 0, 0.1, 0.001];
      for (const [k, v] of Object.entries(over)) r[Number(k)] = v!;
      return r;
    };
    const table = (...rows: number[][]) => Float64Array.from(rows.flat());
    expect(() => addon.adamw([x], table(row({}), row({ 13: 5 })))).toThrow(/parameter 1: .*n floats after its offset/);
    expect(() => addon.adamw([x], table(row({ 8: 1 })))).toThrow(/parameter 0: every operand must name one of the arrays/);
    expect(() => addon.adamw([x], table(row({ 20: 0 })))).toThrow(/parameter 0: .*bias corrections/);
    expect(() => addon.adamw([x], table(row({ 14: 2.5 })))).toThrow(/n must be an integer/);
    expect(() => addon.adamw([x], Float64Array.from(row({}).slice(1)))).toThrow(/22 numbers per parameter/);
    expect(() => addon.adamw([x, [] as unknown as Float32Array], table(row({})))).toThrow(/array of Float32Arrays/);
    expect(Array.from(x)).toEqual(Array.from(new Float32Array(8))); // nothing written by a refused call
  });
});
