import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, KVCache, KV_DIRECT_POSITIONS, attentionMask, useNativeMatmul, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { randArray } from '../nn/reference.test_util.js';

const rand = (shape: number[], seed: number) => tf.tensor(randArray(shape.reduce((a, b) => a * b, 1), seed, 1.5), shape);

/**
 * Two caches fed the same steps, one through appendAttend outside a tape (the kernel, for short
 * steps) and one through append + attend: their outputs must agree bit for bit at every step,
 * GQA, padding masks and growth past capacity included.
 */
function sameAsAppendThenAttend(b: number, h: number, hkv: number, hd: number, steps: number[], capacity: number, seed: number): void {
  const opts = { layers: 2, batch: b, kvHeads: hkv, headDim: hd, capacity };
  const [fused, plain] = [new KVCache(opts), new KVCache(opts)];
  let len = 0;
  for (const [s, t] of steps.entries()) {
    len += t;
    tf.tidy(() => {
      const [k, v, q] = [rand([b, hkv, t, hd], seed + 10 * s), rand([b, hkv, t, hd], seed + 10 * s + 1), rand([b, h, t, hd], seed + 10 * s + 2)];
      const keyMask = tf.tensor2d(Array.from({ length: b * len }, (_, i) => (i % len === 0 && i / len === b - 1 ? 0 : 1)), [b, len]);
      const mask = s % 2 ? attentionMask(t, len, { causal: true, keyMask }) : attentionMask(t, len, { causal: true });
      const got = fused.layer(1).appendAttend(q, k, v, { bias: mask });
      plain.layer(1).append(k, v);
      const want = plain.layer(1).attend(q, { bias: mask });
      expect(Buffer.from(got.dataSync().buffer).equals(Buffer.from(want.dataSync().buffer)), `step ${s} (T ${t}, length ${len})`).toBe(true);
    });
  }
  expect(fused.layerLength(1)).toBe(len);
}

describeBackends('cached attention kernel (KVCache.appendAttend)', () => {
  it('runs one HealthgptCachedAttention kernel for a short step outside a tape, none under a tape', async () => {
    const cache = new KVCache({ layers: 1, batch: 1, kvHeads: 1, headDim: 4, capacity: 4 });
    const [q, k] = [rand([1, 2, 1, 4], 1), rand([1, 1, 1, 4], 2)];
    const names = (await tf.profile(() => cache.appendAttend(0, q, k, k))).kernels.map((x) => x.name);
    expect(names).toEqual(['HealthgptCachedAttention']);
    expect(cache.length).toBe(1);
    // Under a tape (the cache's attention itself has no gradient: the tape only has to be on).
    const taped = (await tf.profile(() => tf.tidy(() => tf.grad((x: Tensor) => tf.add(tf.sum(x), tf.sum(cache.appendAttend(0, q, k, k))))(q)))).kernels.map((x) => x.name);
    expect(taped).not.toContain('HealthgptCachedAttention');
    expect(cache.length).toBe(2);
    tf.dispose([q, k]);
  });

  for (const native of [true, false])
    it(`gives the bits of append then attend (GQA, masks, growth; ${native ? 'native attention when built' : 'plain loops'}) (property)`, () => {
      useNativeMatmul(native);
      try {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 2 }), fc.constantFrom([1, 1], [2, 1], [4, 2]), fc.constantFrom(4, 8), fc.array(fc.integer({ min: 1, max: KV_DIRECT_POSITIONS + 2 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 999 }), (b, [h, hkv], hd, steps, capacity, seed) =>
            sameAsAppendThenAttend(b, h, hkv, hd, steps, capacity, seed),
          ),
          { numRuns: 20 },
        );
      } finally {
        useNativeMatmul(true);
      }
    });

  it('checks its operands and leaks nothing', async () => {
    const cache = new KVCache({ layers: 1, batch: 1, kvHeads: 2, headDim: 4 });
    const [q, k] = [rand([1, 2, 1, 4], 3), rand([1, 2, 1, 4], 4)];
    expect(() => cache.appendAttend(0, q, rand([1, 3, 1, 4], 5), k)).toThrow(/KVCache.appendAttend' must be \[1, 2, T, 4\]/);
    await expectNoLeaks(() => cache.appendAttend(0, q, k, k), { what: 'appendAttend' });
    tf.dispose([q, k]);
  });
});
