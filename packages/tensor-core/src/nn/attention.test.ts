import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, scaledDotProductAttention, splitHeads, mergeHeads, appendKV, crossEntropy, Generator } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { randArray, softmaxRows } from './reference.test_util.js';

describeBackends('scaledDotProductAttention (grouped-query, no kv copies)', () => {
  it('scaledDotProductAttention matches a direct computation with GQA, causal offset and key padding (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          b: fc.integer({ min: 1, max: 2 }),
          hkv: fc.integer({ min: 1, max: 2 }),
          rep: fc.integer({ min: 1, max: 3 }),
          tq: fc.integer({ min: 1, max: 4 }),
          extra: fc.integer({ min: 0, max: 3 }),
          d: fc.integer({ min: 1, max: 6 }),
          causal: fc.boolean(),
          bias: fc.constantFrom('none', 'shared', 'per-head'),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ b, hkv, rep, tq, extra, d, causal, bias, seed }) => {
          const h = hkv * rep;
          const tk = tq + extra;
          const q = randArray(b * h * tq * d, seed, 2);
          const k = randArray(b * hkv * tk * d, seed + 1, 2);
          const v = randArray(b * hkv * tk * d, seed + 2, 2);
          // every row keeps its last key, so no query sees nothing
          const keyMask = Array.from({ length: b * tk }, (_, i) => (i % tk === tk - 1 || (seed >> i % 7) & 1 ? 1 : 0));
          // An additive bias [Tq, Tk] shared by every row and head, or [B, H, Tq, Tk] per head.
          const biasShape = bias === 'per-head' ? [b, h, tq, tk] : [tq, tk];
          const biasValues = bias === 'none' ? null : randArray(biasShape.reduce((x, y) => x * y, 1), seed + 3);
          const biasAt = (n: number, hh: number, i: number, j: number) =>
            biasValues === null ? 0 : bias === 'per-head' ? biasValues[((n * h + hh) * tq + i) * tk + j] : biasValues[i * tk + j];
          const ref = new Float64Array(b * h * tq * d);
          const valid = new Array<number>(ref.length).fill(1);
          for (let n = 0; n < b; n++)
            for (let hh = 0; hh < h; hh++) {
              const g = Math.floor(hh / rep);
              for (let i = 0; i < tq; i++) {
                const s = new Float64Array(tk);
                for (let j = 0; j < tk; j++) {
                  let dot = 0;
                  for (let e = 0; e < d; e++) dot += q[((n * h + hh) * tq + i) * d + e] * k[((n * hkv + g) * tk + j) * d + e];
                  const visible = keyMask[n * tk + j] === 1 && (!causal || j <= tk - tq + i);
                  s[j] = visible ? dot / Math.sqrt(d) + biasAt(n, hh, i, j) : -Infinity;
                }
                if (s.every((x) => x === -Infinity)) for (let e = 0; e < d; e++) valid[((n * h + hh) * tq + i) * d + e] = 0;
                const p = softmaxRows(s, tk);
                for (let e = 0; e < d; e++) {
                  let acc = 0;
                  for (let j = 0; j < tk; j++) if (p[j] > 0) acc += p[j] * v[((n * hkv + g) * tk + j) * d + e];
                  ref[((n * h + hh) * tq + i) * d + e] = acc;
                }
              }
            }
          const out = tf.tidy(() =>
            scaledDotProductAttention(tf.tensor(q, [b, h, tq, d]), tf.tensor(k, [b, hkv, tk, d]), tf.tensor(v, [b, hkv, tk, d]), {
              causal,
              keyMask: tf.tensor(keyMask, [b, tk], 'int32'),
              bias: biasValues && tf.tensor(biasValues, biasShape),
            }),
          );
          // rows where causality and padding hide every key are undefined (HF: uniform); skip them
          expectClose(out.dataSync(), ref, { atol: 1e-5, rtol: 1e-4 }, 'attention', valid);
          out.dispose();
        },
      ),
      { numRuns: 20 },
    );
  });

  it('refuses head counts that are not a multiple of the kv heads', () => {
    const q = tf.zeros([1, 3, 2, 4]);
    const k = tf.zeros([1, 2, 2, 4]);
    expect(() => scaledDotProductAttention(q, k, k)).toThrow(/query heads \(3\) must be a multiple of kv heads \(2\)/);
    tf.dispose([q, k]);
  });

  it('refuses a bias of the wrong shape and dropout without a generator', () => {
    const q = tf.zeros([1, 4, 2, 4]);
    const k = tf.zeros([1, 2, 3, 4]);
    const bad = tf.zeros([1, 2, 2, 3]);
    expect(() => scaledDotProductAttention(q, k, k, { bias: bad })).toThrow(/'bias' passed to 'scaledDotProductAttention' must be \[1\|2, 3\] or \[1\|1, 1\|4, 1\|2, 3\], got \[1, 2, 2, 3\]/);
    expect(() => scaledDotProductAttention(q, k, k, { dropout: 0.5 })).toThrow(/needs a 'gen'/);
    tf.dispose([q, k, bad]);
  });

  it('dropout on the probabilities is seeded by the generator and scales the kept weights', () => {
    const q = tf.tensor(randArray(2 * 3 * 4, 8), [1, 2, 3, 4]);
    const k = tf.tensor(randArray(2 * 5 * 4, 9), [1, 2, 5, 4]);
    const ones = tf.ones([1, 2, 5, 1]); // with v = 1, each output is the sum of its kept probabilities / (1 − p)
    const run = (seed: number) => scaledDotProductAttention(q, k, ones, { dropout: 0.5, gen: new Generator(seed) });
    const [a, a2, c] = [run(3), run(3), run(4)];
    expect(Array.from(a.dataSync())).toEqual(Array.from(a2.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    for (const x of a.dataSync()) expect(x).toBeGreaterThanOrEqual(0);
    expect(a.dataSync().some((x) => Math.abs(x - 1) > 1e-3)).toBe(true);
    tf.dispose([q, k, ones, a, a2, c]);
  });

  it('gradients flow to q, k and v as through the copy-based GQA', () => {
    const [b, h, hkv, t, d] = [1, 4, 2, 3, 4];
    const q = tf.tensor(randArray(b * h * t * d, 21), [b, h, t, d]);
    const k = tf.tensor(randArray(b * hkv * t * d, 22), [b, hkv, t, d]);
    const v = tf.tensor(randArray(b * hkv * t * d, 23), [b, hkv, t, d]);
    // Reference: repeat each kv head for its query heads (HF repeat_kv), then plain attention.
    const repeat = (x: tf.Tensor) => tf.concat(Array.from({ length: h }, (_, hh) => x.slice([0, Math.floor(hh / (h / hkv)), 0, 0], [b, 1, t, d])), 1);
    const loss = (f: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor) => (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => tf.sum(tf.square(f(qq, kk, vv)));
    const ours = tf.grads(loss((qq, kk, vv) => scaledDotProductAttention(qq, kk, vv, { causal: true })))([q, k, v]);
    const ref = tf.grads(loss((qq, kk, vv) => scaledDotProductAttention(qq, repeat(kk), repeat(vv), { causal: true })))([q, k, v]);
    ours.forEach((g, i) => expectClose(g, ref[i], { atol: 1e-5, rtol: 1e-4 }, ['dq', 'dk', 'dv'][i]));
    tf.dispose([q, k, v, ...ours, ...ref]);
  });

  it('splitHeads / mergeHeads are the [B, T, n, hd] ↔ [B, n, T, hd] transposes, and appendKV concatenates along T', () => {
    for (const [b, t, n, hd] of [[2, 3, 4, 2], [1, 1, 3, 2], [2, 5, 1, 3]]) {
      const x = tf.tensor(randArray(b * t * n * hd, b + t + n), [b, t, n * hd]);
      const heads = splitHeads(x, n);
      const want = x.reshape([b, t, n, hd]).transpose([0, 2, 1, 3]);
      expect(Array.from(heads.dataSync())).toEqual(Array.from(want.dataSync()));
      const flat = splitHeads(x.reshape([b * t, n * hd]), n, t);
      expect(Array.from(flat.dataSync())).toEqual(Array.from(want.dataSync()));
      const back = mergeHeads(heads);
      expect(back.shape).toEqual([b, t, n * hd]);
      expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
      tf.dispose([x, heads, want, flat, back]);
    }
    const k1 = tf.tensor(randArray(2 * 2 * 3 * 4, 1), [2, 2, 3, 4]);
    const k2 = tf.tensor(randArray(2 * 2 * 1 * 4, 2), [2, 2, 1, 4]);
    const first = appendKV(undefined, k1, k1);
    expect(first.keys).toBe(k1);
    const next = appendKV(first, k2, k2);
    expect(next.keys.shape).toEqual([2, 2, 4, 4]);
    expect(Array.from(next.values.slice([0, 0, 3, 0], [2, 2, 1, 4]).dataSync())).toEqual(Array.from(k2.dataSync()));
    expect(() => appendKV(first, tf.zeros([2, 3, 1, 4]), tf.zeros([2, 3, 1, 4]))).toThrow(/must be \[2, 2, T, 4\] like the cache/);
    tf.dispose([k1, k2, next.keys, next.values]);
  });

  it('crossEntropy gradient is softmax − one-hot over supervised rows', () => {
    const logits = tf.tensor(randArray(3 * 4, 5, 2), [3, 4]);
    const labels = tf.tensor([1, -100, 3], [3], 'int32');
    const grad = tf.grad((x: tf.Tensor) => crossEntropy(x, labels))(logits);
    const p = softmaxRows(logits.dataSync(), 4);
    const ref = Array.from(p).map((v, i) => {
      const r = Math.floor(i / 4);
      if (r === 1) return 0;
      return (v - ((r === 0 && i % 4 === 1) || (r === 2 && i % 4 === 3) ? 1 : 0)) / 2;
    });
    expectClose(grad.dataSync(), ref, { atol: 1e-6 }, 'grad');
    tf.dispose([logits, labels, grad]);
  });

  it('attention leaks nothing (causal, key padding, bias, dropout)', async () => {
    const q = tf.randomNormal([2, 4, 3, 8]);
    const k = tf.randomNormal([2, 2, 5, 8]);
    const keyMask = tf.tensor([[1, 1, 0, 1, 1], [0, 1, 1, 1, 1]], [2, 5], 'int32');
    const bias = tf.randomNormal([3, 5]);
    await expectNoLeaks(() => scaledDotProductAttention(q, k, k, { causal: true, keyMask, bias, dropout: 0.1, gen: new Generator(1) }), { what: 'attention' });
    tf.dispose([q, k, keyMask, bias]);
  });
});
