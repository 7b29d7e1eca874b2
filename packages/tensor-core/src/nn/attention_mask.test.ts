import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, attentionMask, scaledDotProductAttention, MASK_VALUE, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { randArray } from './reference.test_util.js';

/** The mask as first written: Range / LessEqual / LogicalAnd / Select (plus the window rule slot − j ≤ w). */
function maskReference(tq: number, tk: number, causal: boolean, keyMask?: Tensor, window: number | null = null): Tensor {
  return tf.tidy(() => {
    let visible: Tensor | null = null;
    if (causal) {
      const qpos = tf.range(tk - tq, tk, 1, 'int32').reshape([tq, 1]);
      const kpos = tf.range(0, tk, 1, 'int32').reshape([1, tk]);
      let v = tf.lessEqual(kpos, qpos);
      if (window !== null) v = tf.logicalAnd(v, tf.lessEqual(tf.sub(qpos, kpos), window));
      visible = v.reshape([1, 1, tq, tk]);
    }
    if (keyMask) {
      const km = tf.notEqual(keyMask, 0).reshape([keyMask.shape[0], 1, 1, tk]);
      visible = visible ? tf.logicalAnd(visible, km) : km;
    }
    return tf.where(visible!, tf.scalar(0), tf.scalar(MASK_VALUE));
  });
}

describeBackends('attentionMask (cached causal part)', () => {
  it('equals the Range / LessEqual / Select construction for any (Tq, Tk), causal, sliding window and key padding (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e6 }),
        fc.option(fc.nat(8), { nil: null }),
        (tq, extra, b, causal, padded, seed, window) => {
          if (!causal && !padded) {
            expect(attentionMask(tq, tq + extra, {})).toBeNull();
            return;
          }
          const tk = tq + extra;
          const km = padded ? tf.tensor(Array.from(randArray(b * tk, seed), (v) => (v > 0 ? 1 : 0)), [b, tk], 'int32') : undefined;
          // Twice: the second call reads the cache.
          for (let rep = 0; rep < 2; rep++) {
            const got = attentionMask(tq, tk, { causal, keyMask: km, slidingWindow: window });
            const want = maskReference(tq, tk, causal, km, causal ? window : null);
            if (got === null) {
              // Null only when the mask would hide nothing (a single query whose window reaches every key).
              expect(Array.from(want.dataSync()).every((v) => v === 0)).toBe(true);
              expect(tq === 1 && !padded).toBe(true);
              want.dispose();
              continue;
            }
            expect(got.shape).toEqual(want.shape);
            expect(got.dtype).toBe('float32');
            expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
            tf.dispose([got, want]);
          }
          km?.dispose();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('hides future keys, padded keys and keys beyond the sliding window; null when it would hide nothing', () => {
    const keyMask = tf.tensor2d([[0, 1, 1, 1, 1]], [1, 5], 'int32');
    const m = attentionMask(3, 5, { causal: true, keyMask, slidingWindow: 2 })!;
    const visible = Array.from(m.dataSync()).map((v) => (v === 0 ? 1 : 0));
    // query slots 2, 3, 4; keys 0..4; slot 0 padded; window: slot − key ≤ 2
    expect(visible).toEqual([0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
    expect(attentionMask(1, 5, { causal: true })).toBeNull();
    expect(attentionMask(1, 5, { causal: true, slidingWindow: 4 })).toBeNull(); // the window reaches key 0
    const bites = attentionMask(1, 5, { causal: true, slidingWindow: 3 })!;
    expect(Array.from(bites.dataSync())).toEqual([MASK_VALUE, 0, 0, 0, 0]);
    tf.dispose([keyMask, m, bites]);
  });

  it('builds masks too large to cache ([1, 1, 1100, 1000]) the same way', () => {
    const got = attentionMask(1100, 1000, { causal: true })!;
    const want = maskReference(1100, 1000, true);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([got, want]);
  });

  it('causal attention still hides future keys, and mask building leaks nothing, even on a cache miss', async () => {
    const q = tf.tensor(randArray(2 * 3 * 4, 5), [1, 2, 3, 4]);
    const k = tf.tensor(randArray(2 * 5 * 4, 6), [1, 2, 5, 4]);
    const v = tf.tensor(randArray(2 * 5 * 4, 7), [1, 2, 5, 4]);
    // The first query (absolute position 2) must ignore keys 3 and 4: changing them changes nothing there.
    const v2 = tf.tidy(() => tf.concat([v.slice([0, 0, 0, 0], [1, 2, 3, 4]), tf.fill([1, 2, 2, 4], 9)], 2));
    const [a, a2] = [scaledDotProductAttention(q, k, v, { causal: true }), scaledDotProductAttention(q, k, v2, { causal: true })];
    expectClose(a.slice([0, 0, 0, 0], [1, 2, 1, 4]).dataSync(), a2.slice([0, 0, 0, 0], [1, 2, 1, 4]).dataSync(), { atol: 1e-6, rtol: 0 }, 'first query');
    await expectNoLeaks(() => attentionMask(7, 19, { causal: true }), { what: 'attentionMask (miss)' });
    const keyMask = tf.ones([2, 19]);
    await expectNoLeaks(() => attentionMask(7, 19, { causal: true, keyMask }), { what: 'attentionMask with keyMask' });
    await expectNoLeaks(() => tf.tidy(() => scaledDotProductAttention(q, k, v, { causal: true })), { what: 'causal attention' });
    tf.dispose([q, k, v, v2, a, a2, keyMask]);
  });
});
