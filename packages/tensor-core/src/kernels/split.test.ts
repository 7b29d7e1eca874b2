import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks, wasmAndCpu, randomValues } from '@healthgpt/testing';

/** Random split sizes of `n` (one of them possibly −1: "the rest"), at least one part. */
const sizesOf = (n: number, cuts: number[], rest: boolean): number[] => {
  const points = [...new Set(cuts.map((c) => c % (n + 1)))].sort((a, b) => a - b);
  const sizes = [...points, n].map((p, i, all) => p - (i === 0 ? 0 : all[i - 1]));
  if (rest && sizes.length > 1) sizes[sizes.length - 1] = -1;
  return sizes;
};

describe('SplitV on wasm', () => {
  it('matches the cpu backend on random shapes, axes and sizes (empty parts, −1, short and long rows)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 1, max: 80 }),
        async (shape0, axisSeed, cuts, rest, seed, lastDim) => {
          const shape = [...shape0.slice(0, -1), lastDim]; // rows both shorter and longer than the copy's threshold
          const axis = (axisSeed % (2 * shape.length)) - shape.length;
          const ax = axis < 0 ? axis + shape.length : axis;
          const sizes = sizesOf(shape[ax], cuts, rest);
          const v = randomValues(shape.reduce((a, b) => a * b, 1), seed);
          const { wasm, cpu } = await wasmAndCpu(() => tf.concat(tf.split(tf.tensor(v, shape), sizes, axis).map((t) => t.flatten())));
          expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('splits int32 tensors and equal parts; every part has its own shape; no leaks', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(Int32Array.from({ length: 2 * 6 * 3 }, (_, i) => i - 7), [2, 6, 3], 'int32');
    const parts = tf.split(x, 3, 1);
    expect(parts.map((p) => p.shape)).toEqual([[2, 2, 3], [2, 2, 3], [2, 2, 3]]);
    expect(parts.every((p) => p.dtype === 'int32')).toBe(true);
    expect(Array.from(parts[1].dataSync())).toEqual([-1, 0, 1, 2, 3, 4, 17, 18, 19, 20, 21, 22]);
    await expectNoLeaks(() => tf.split(x, [1, 5], 1), { what: 'split' });
    tf.dispose([x, ...parts]);
  });
});
