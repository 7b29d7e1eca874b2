import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, Module, Linear, Generator, Int8Linear, quantizeLinears, TensorCoreError, useNativeMatmul, type Tensor } from '@healthgpt/tensor-core';
import { int8Linear, quantizeInt8, dequantizeInt8, INT8_DIRECT_ROWS } from '@healthgpt/tensor-core/internal';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';

/** Σ_i |x[r, i]| · s_o / 2: the bound on |x·(W − q·s)ᵀ| for row r and output o. */
function bound(x: Float32Array, scales: Float32Array, n: number, inF: number): Float64Array {
  const out = new Float64Array(n * scales.length);
  for (let r = 0; r < n; r++) {
    let l1 = 0;
    for (let i = 0; i < inF; i++) l1 += Math.abs(x[r * inF + i]);
    scales.forEach((s, o) => (out[r * scales.length + o] = (l1 * s) / 2));
  }
  return out;
}

class Stack extends Module {
  constructor(gen: Generator) {
    super();
    this.registerModule('up', new Linear(6, 10, { gen }));
    this.registerModule('down', new Linear(10, 4, { bias: false, gen }));
  }
  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.child<Linear>('down').forward(tf.relu(this.child<Linear>('up').forward(x))));
  }
}

describeBackends('Int8Linear', () => {
  it('quantizes per output channel within half a step and dequantizes exactly q·s', () => {
    const w = tf.tensor2d([0.5, -1.27, 0.01, 0, 0, 0, 2, 2, -2], [3, 3]);
    const q = quantizeInt8(w);
    expect(Array.from(q.scales)).toEqual([Math.fround(1.27 / 127), 0, Math.fround(2 / 127)]);
    expect(Array.from(q.q)).toEqual([50, -127, 1, 0, 0, 0, 127, 127, -127]);
    const back = dequantizeInt8(q);
    expect(Array.from(back.dataSync())).toEqual(Array.from(q.q).map((v, k) => Math.fround(v * q.scales[Math.floor(k / 3)])));
    tf.dispose([w, back]);
    const bad = tf.tensor2d([1, NaN], [1, 2]);
    expect(() => quantizeInt8(bad)).toThrow(/non-finite value in row 0/);
    bad.dispose();
  });

  it('stays within Σ|x|·s/2 of the float layer on both paths (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1e6 }), (n, inF, out, seed) => {
        const gen = new Generator(seed);
        const lin = new Linear(inF, out, { gen });
        const q = Int8Linear.fromLinear(lin);
        const x = tf.randomNormal([n, inF], 0, 2, 'float32', seed);
        const [a, b] = [q.forward(x), lin.forward(x)];
        const lim = bound(x.dataSync() as Float32Array, q.weights.scales, n, inF);
        const [da, db] = [a.dataSync(), b.dataSync()];
        for (let k = 0; k < da.length; k++) expect(Math.abs(da[k] - db[k])).toBeLessThanOrEqual(lim[k] + 1e-5 * (1 + Math.abs(db[k])));
        tf.dispose([x, a, b]);
        lin.dispose();
        q.dispose();
      }),
      { numRuns: 25 },
    );
  });

  it('gives the same result on the direct (few rows) and matmul (many rows) paths', () => {
    const lin = new Linear(16, 8, { gen: new Generator(3) });
    const q = Int8Linear.fromLinear(lin);
    const x = tf.randomNormal([INT8_DIRECT_ROWS + 4, 16], 0, 1, 'float32', 5);
    const all = q.forward(x); // matmul path
    const few = q.forward(x.slice([0, 0], [2, 16])); // direct path
    const head = all.slice([0, 0], [2, 8]);
    const d = tf.max(tf.abs(tf.sub(head, few))).dataSync()[0];
    expect(d).toBeLessThan(1e-5);
    tf.dispose([x, all, few, head]);
    lin.dispose();
    q.dispose();
  });

  it('passes gradients to x and the bias, has no float weight, and leaks nothing', async () => {
    const lin = new Linear(5, 3, { gen: new Generator(1) });
    const q = Int8Linear.fromLinear(lin);
    expect(q.namedParameters().map(([n]) => n)).toEqual(['bias']);
    expect(() => q.weight).toThrow(TensorCoreError);
    const x = tf.randomNormal([4, 2, 5], 0, 1, 'float32', 2);
    const gx = tf.grad((xx: Tensor) => tf.sum(q.forward(xx)))(x);
    const wq = q.dequantize();
    const expected = tf.tile(tf.sum(wq, 0, true), [8, 1]).reshape([4, 2, 5]); // d Σ(x Wᵀ) / dx = 1ᵀ W
    expect(tf.max(tf.abs(tf.sub(gx, expected))).dataSync()[0]).toBeLessThan(1e-5);
    await expectNoLeaks(() => q.forward(x), { what: 'Int8Linear.forward (direct)' });
    const big = tf.randomNormal([20, 5]);
    await expectNoLeaks(() => q.forward(big), { what: 'Int8Linear.forward (matmul)' });
    await expectNoLeaks(() => tf.grad((xx: Tensor) => tf.sum(q.forward(xx)))(big), { what: 'Int8Linear backward' });
    expect(() => int8Linear(tf.zeros([2, 4]), q.weights)).toThrow(/must be float32 \[\.\.\., 5\]/);
    tf.dispose([x, gx, wq, expected, big]);
    lin.dispose();
    q.dispose();
  });

  it('quantizeLinears replaces every Linear in a tree (forward keeps working) and frees the float weights', async () => {
    const m = new Stack(new Generator(7));
    const x = tf.randomNormal([3, 6], 0, 1, 'float32', 9);
    const before = m.forward(x);
    const tensorsBefore = tf.memory().numTensors;
    expect(quantizeLinears(m)).toEqual(['up', 'down']);
    expect(tf.memory().numTensors).toBe(tensorsBefore - 2); // up.weight, up.bias, down.weight freed; up.bias copied
    expect(m.getSubmodule('up')).toBeInstanceOf(Int8Linear);
    const after = m.forward(x);
    expect(tf.max(tf.abs(tf.sub(before, after))).dataSync()[0]).toBeLessThan(0.05);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['up.bias']);
    tf.dispose([x, before, after]);
    await expectNoLeaks(() => {
      const s = new Stack(new Generator(1));
      quantizeLinears(s, { include: (p) => p === 'down' });
      s.dispose();
    }, { what: 'quantizeLinears' });
    m.dispose();
  });

  it('without the native int8 kernel, dequantizes once into a buffer it owns, gives q·s products, and frees it on dispose', async () => {
    useNativeMatmul(false);
    try {
      const lin = new Linear(24, 10, { gen: new Generator(7) });
      const q = Int8Linear.fromLinear(lin);
      lin.dispose();
      const x = tf.randomNormal([3, 24], 0, 1, 'float32', 8);
      const start = tf.memory().numTensors;
      const y1 = q.forward(x);
      expect(tf.memory().numTensors - start).toBe(2); // y1 and the float32 weight
      await expectNoLeaks(() => q.forward(x), { what: 'Int8Linear.forward (dequantized)' });
      const wq = q.dequantize();
      const want = tf.add(tf.matMul(x, wq, false, true), q.bias!);
      expect(tf.max(tf.abs(tf.sub(y1, want))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([y1, wq, want]);
      const held = tf.memory().numTensors;
      q.dispose();
      expect(held - tf.memory().numTensors).toBe(2); // the bias and the float32 weight
      x.dispose();
    } finally {
      useNativeMatmul(true); // the default: on wherever the addon loads
    }
  });
});
