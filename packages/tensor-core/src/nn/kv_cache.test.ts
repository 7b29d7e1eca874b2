import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, KVCache, KV_DIRECT_POSITIONS, appendKV, attentionMask, scaledDotProductAttention, useNativeMatmul, TensorCoreError, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';

const values = (shape: number[], seed: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1.3 + i * 0.37) * 1.5), shape);
};

const maxDiff = (a: Tensor, b: Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/**
 * Feed `steps` chunks of positions to a KVCache (from `capacity`) and to the concatenating
 * appendKV, attending after each: the cache's result against scaledDotProductAttention on the
 * concatenated tensors, with a causal + padding mask as the decoder builds it. Returns the worst gap.
 */
function compare(b: number, h: number, hkv: number, hd: number, steps: number[], capacity: number, seed: number): number {
  const cache = new KVCache({ layers: 2, batch: b, kvHeads: hkv, headDim: hd, capacity });
  let past: { keys: Tensor; values: Tensor } | undefined;
  let worst = 0;
  let len = 0;
  for (const [s, t] of steps.entries()) {
    len += t;
    tf.tidy(() => {
      const k = values([b, hkv, t, hd], seed + 10 * s);
      const v = values([b, hkv, t, hd], seed + 10 * s + 1);
      const q = values([b, h, t, hd], seed + 10 * s + 2);
      const keyMask = tf.tensor2d(Array.from({ length: b * len }, (_, i) => (i % len === 0 && i / len === b - 1 ? 0 : 1)), [b, len]); // the last row's first key is padding
      const mask = attentionMask(t, len, { causal: true, keyMask });
      cache.append(1, k, v);
      const next = appendKV(past, tf.keep(k), tf.keep(v));
      if (past) tf.dispose([past.keys, past.values]);
      past = { keys: tf.keep(next.keys), values: tf.keep(next.values) };
      worst = Math.max(worst, maxDiff(cache.attend(1, q, { bias: mask }), scaledDotProductAttention(q, past.keys, past.values, { bias: mask })));
    });
  }
  expect(cache.layerLength(1)).toBe(len);
  expect(cache.capacity).toBeGreaterThanOrEqual(len);
  if (past) tf.dispose([past.keys, past.values]);
  return worst;
}

describeBackends('KVCache (preallocated, written in place)', () => {
  for (const native of [true, false])
    it(`attends like scaledDotProductAttention on the concatenated cache (GQA, masks, growth past capacity; ${native ? 'native kernel when built' : 'plain loops'})`, () => {
      useNativeMatmul(native);
      try {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 2 }), fc.constantFrom([1, 1], [2, 1], [4, 2], [3, 3]), fc.constantFrom(4, 8, 16), fc.array(fc.integer({ min: 1, max: KV_DIRECT_POSITIONS + 3 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 99 }), (b, [h, hkv], hd, steps, capacity, seed) => {
            expect(compare(b, h, hkv, hd, steps, capacity, seed)).toBeLessThan(2e-6);
          }),
          { numRuns: 25 },
        );
      } finally {
        useNativeMatmul(true);
      }
    });

  it('holds its positions outside TensorFlow.js memory: appending and attending leak nothing', async () => {
    const cache = new KVCache({ layers: 1, batch: 1, kvHeads: 2, headDim: 8, capacity: 4 });
    const k = values([1, 2, 1, 8], 1);
    const q = values([1, 4, 1, 8], 2);
    const before = tf.memory().numBytes;
    await expectNoLeaks(
      () => {
        cache.append(0, k, k);
        return cache.attend(0, q);
      },
      { what: 'KVCache append + attend' },
    );
    expect(tf.memory().numBytes).toBe(before);
    expect(cache.length).toBe(cache.layerLength(0));
    expect(cache.bytes).toBe(2 * 1 * 1 * 2 * cache.capacity * 8 * 4);
    tf.dispose([k, q]);
  });

  it('rejects wrong shapes and a cache left part-way with typed errors', () => {
    const cache = new KVCache({ layers: 2, batch: 1, kvHeads: 2, headDim: 4 });
    const ok = tf.zeros([1, 2, 1, 4]);
    expect(() => new KVCache({ layers: 0, batch: 1, kvHeads: 1, headDim: 4 })).toThrow(/'layers' passed to 'KVCache' must be a positive integer/);
    expect(() => cache.append(0, tf.zeros([1, 3, 1, 4]), tf.zeros([1, 3, 1, 4]))).toThrow(TensorCoreError);
    expect(() => cache.append(0, ok, tf.zeros([1, 2, 2, 4]))).toThrow(/must be \[1, 2, T, 4\]/);
    expect(() => cache.attend(0, tf.zeros([1, 3, 1, 4]))).toThrow(/H a multiple of 2/);
    expect(() => cache.layer(2)).toThrow(/outside \[0, 2\)/);
    cache.append(0, ok, ok);
    expect(() => cache.checkAligned()).toThrow(/different lengths \(1, 0\)/);
    ok.dispose();
  });
});
