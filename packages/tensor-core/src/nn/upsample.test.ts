import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, upsampleNearest2x } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';

describeBackends('upsampleNearest2x', () => {
  it('out[y][x] = in[⌊y/2⌋][⌊x/2⌋], and the gradient sums each 2×2 block (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (b, c, h, w) => {
        const n = b * c * h * w;
        const x = tf.range(0, n).reshape([b, c, h, w]);
        const y = upsampleNearest2x(x);
        expect(y.shape).toEqual([b, c, 2 * h, 2 * w]);
        const yv = y.dataSync();
        for (let p = 0; p < b * c; p++)
          for (let i = 0; i < 2 * h; i++)
            for (let j = 0; j < 2 * w; j++) expect(yv[(p * 2 * h + i) * 2 * w + j]).toBe(p * h * w + Math.floor(i / 2) * w + Math.floor(j / 2));
        const weights = tf.range(0, 4 * n).reshape([b, c, 2 * h, 2 * w]);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(a), weights)))(x);
        const wv = weights.dataSync();
        const gv = g.dataSync();
        for (let p = 0; p < b * c; p++)
          for (let i = 0; i < h; i++)
            for (let j = 0; j < w; j++) {
              const at = (di: number, dj: number) => wv[(p * 2 * h + 2 * i + di) * 2 * w + 2 * j + dj];
              expect(gv[(p * h + i) * w + j]).toBe(at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1));
            }
        tf.dispose([x, y, weights, g]);
      }),
      { numRuns: 10 },
    );
  });

  it('checks the rank and leaks nothing', async () => {
    expect(() => upsampleNearest2x(tf.zeros([2, 3]))).toThrow(/'x' passed to 'upsampleNearest2x' must be rank 4/);
    const x = tf.ones([1, 2, 3, 3]);
    await expectNoLeaks(() => upsampleNearest2x(x), { what: 'upsampleNearest2x' });
    x.dispose();
  });
});
