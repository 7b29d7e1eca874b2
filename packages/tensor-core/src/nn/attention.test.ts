import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, scaledDotProductAttention, rotaryCosSin, applyRotary, rotateHalf, crossEntropy } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { randArray, softmaxRows } from './reference.test-util.js';

describeBackends('attention and rotary', () => {
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
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ b, hkv, rep, tq, extra, d, causal, seed }) => {
          const h = hkv * rep;
          const tk = tq + extra;
          const q = randArray(b * h * tq * d, seed, 2);
          const k = randArray(b * hkv * tk * d, seed + 1, 2);
          const v = randArray(b * hkv * tk * d, seed + 2, 2);
          // every row keeps its last key, so no query sees nothing
          const keyMask = Array.from({ length: b * tk }, (_, i) => (i % tk === tk - 1 || (seed >> i % 7) & 1 ? 1 : 0));
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
                  s[j] = visible ? dot / Math.sqrt(d) : -Infinity;
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

  it('applyRotary pairs element i with i + d/2 and preserves norms (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 1e6 }), (half, t, seed) => {
        const d = 2 * half;
        const x = randArray(t * d, seed);
        const pos = Array.from({ length: t }, (_, i) => (i * 3 + seed) % 50);
        const [y, r] = tf.tidy(() => {
          const { cos, sin } = rotaryCosSin(tf.tensor(pos, [1, t], 'int32'), d, 500);
          const xt = tf.tensor(x, [1, 1, t, d]);
          return [applyRotary(xt, cos, sin), rotateHalf(xt)];
        });
        const yv = y.dataSync();
        for (let i = 0; i < t; i++) {
          for (let j = 0; j < half; j++) {
            const ang = pos[i] / Math.pow(500, (2 * j) / d);
            const a = x[i * d + j];
            const b = x[i * d + j + half];
            expect(yv[i * d + j]).toBeCloseTo(a * Math.cos(ang) - b * Math.sin(ang), 4);
            expect(yv[i * d + j + half]).toBeCloseTo(b * Math.cos(ang) + a * Math.sin(ang), 4);
          }
        }
        expect(r.dataSync()[0]).toBeCloseTo(-x[half], 6);
        tf.dispose([y, r]);
      }),
      { numRuns: 15 },
    );
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

  it('attention and rotary leak nothing', async () => {
    const q = tf.randomNormal([1, 4, 3, 8]);
    const k = tf.randomNormal([1, 2, 3, 8]);
    const pos = tf.tensor([[0, 1, 2]], [1, 3], 'int32');
    await expectNoLeaks(() => {
      const { cos, sin } = rotaryCosSin(pos, 8);
      const qr = applyRotary(q, cos, sin);
      return [scaledDotProductAttention(qr, k, k, { causal: true }), qr, cos, sin];
    }, { what: 'attention' });
    tf.dispose([q, k, pos]);
  });
});
