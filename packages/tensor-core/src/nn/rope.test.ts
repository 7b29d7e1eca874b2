import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, RotaryEmbedding, applyRotary } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { randArray } from './reference.test_util.js';

/** The float64 angle table a reader would write: pos / theta^(2j/dim). */
const angle = (pos: number, j: number, dim: number, theta: number) => pos / Math.pow(theta, (2 * j) / dim);

describeBackends('RotaryEmbedding and applyRotary', () => {
  it('tables hold cos/sin of pos·θ^(−2j/d) twice over, from the cache or not, for any positions (property)', () => {
    const rope = new RotaryEmbedding(8, 500);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(300), fc.integer({ min: 70000, max: 80000 }), fc.constant(-3), fc.constant(2.5)), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        (pos, b) => {
          const t = pos.length;
          const all = Array.from({ length: b }, () => pos).flat();
          const { cos, sin } = rope.tables(all, b, t);
          expect(cos.shape).toEqual([b, 1, t, 8]);
          const [c, s] = [cos.dataSync(), sin.dataSync()];
          for (let p = 0; p < b * t; p++)
            for (let j = 0; j < 4; j++)
              for (const k of [j, j + 4]) {
                // float32 frequencies and angles: agree with float64 to ~|angle|·2⁻²³.
                const tol = 1e-6 + Math.abs(angle(all[p], j, 8, 500)) * 2e-7;
                expect(Math.abs(c[p * 8 + k] - Math.cos(angle(all[p], j, 8, 500)))).toBeLessThan(tol);
                expect(Math.abs(s[p * 8 + k] - Math.sin(angle(all[p], j, 8, 500)))).toBeLessThan(tol);
              }
          tf.dispose([cos, sin]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('an int32 tensor of positions gives the same tables as the array form', () => {
    const rope = new RotaryEmbedding(6);
    const ids = tf.tensor2d([[0, 1, 2], [1, 1, 5]], [2, 3], 'int32');
    const a = rope.tables(ids);
    const b = new RotaryEmbedding(6).tables([0, 1, 2, 1, 1, 5], 2, 3);
    expect(Array.from(a.cos.dataSync())).toEqual(Array.from(b.cos.dataSync()));
    expect(Array.from(a.sin.dataSync())).toEqual(Array.from(b.sin.dataSync()));
    expect(() => rope.tables([1, 2], 2, 3)).toThrow(/must hold b·t = 2·3 values, got 2/);
    expect(() => new RotaryEmbedding(5)).toThrow(/positive even integer, got 5/);
    tf.dispose([ids, a.cos, a.sin, b.cos, b.sin]);
  });

  it('applyRotary rotates each pair (i, i + d/2) by its angle and preserves norms (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 1e6 }), (half, t, heads, seed) => {
        const d = 2 * half;
        const x = randArray(heads * t * d, seed);
        const pos = Array.from({ length: t }, (_, i) => (i * 3 + seed) % 50);
        const y = tf.tidy(() => {
          const { cos, sin } = new RotaryEmbedding(d, 500).tables(pos, 1, t);
          return applyRotary(tf.tensor(x, [1, heads, t, d]), cos, sin);
        });
        const yv = y.dataSync();
        for (let h = 0; h < heads; h++)
          for (let i = 0; i < t; i++)
            for (let j = 0; j < half; j++) {
              const ang = angle(pos[i], j, d, 500);
              const o = (h * t + i) * d;
              const [a, b] = [x[o + j], x[o + j + half]];
              expect(yv[o + j]).toBeCloseTo(a * Math.cos(ang) - b * Math.sin(ang), 4);
              expect(yv[o + j + half]).toBeCloseTo(b * Math.cos(ang) + a * Math.sin(ang), 4);
            }
        y.dispose();
      }),
      { numRuns: 15 },
    );
  });

  it('checks its arguments and leaks nothing', async () => {
    const rope = new RotaryEmbedding(8);
    const x = tf.randomNormal([1, 2, 3, 8]);
    const { cos, sin } = rope.tables([0, 1, 2], 1, 3);
    expect(() => applyRotary(x, cos.reshape([1, 3, 8]), sin)).toThrow(/'cos' passed to 'applyRotary' must be rank 4/);
    expect(() => applyRotary(tf.zeros([1, 2, 4, 8]), cos, sin)).toThrow(/must be \[B, 1, 4, 8\]/);
    await expectNoLeaks(() => applyRotary(x, cos, sin), { what: 'applyRotary' });
    await expectNoLeaks(() => Object.values(rope.tables([5, 6, 7], 1, 3)), { what: 'RotaryEmbedding.tables' });
    tf.dispose([x, cos, sin]);
  });
});
