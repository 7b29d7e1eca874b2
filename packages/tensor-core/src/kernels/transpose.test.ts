import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues } from '@healthgpt/testing';
import { simplifyPermutation, transposeTiles } from './transpose.js';

describe('Transpose (wasm: simplified axes, tiled 2-D, run-copy for rank ≥ 5)', () => {
  it('matches the cpu backend exactly on random shapes and permutations, float32 and int32', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }).chain((shape) =>
          fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }), fc.boolean(), fc.integer({ min: 1, max: 999 })),
        ),
        async ([shape, perm, int, seed]) => {
          const size = shape.reduce((a, b) => a * b, 1);
          const v = randomValues(size, seed);
          const { wasm, cpu } = await wasmAndCpu(() => tf.transpose(int ? tf.tensor(Array.from(v, (x) => Math.round(x * 100)), shape, 'int32') : tf.tensor(v, shape), perm));
          expect(wasm.shape).toEqual(cpu.shape);
          expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('transposeTiles swaps the last two axes of every matrix, full 32×32 tiles, 4×4 blocks and ragged edges alike', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 75 }), fc.integer({ min: 1, max: 75 }), (batch, rows, cols) => {
        const n = batch * rows * cols;
        const src = Int32Array.from({ length: n }, (_, i) => i * 7 - 3);
        const dst = new Int32Array(n).fill(-1);
        transposeTiles(src, dst, batch, rows, cols);
        for (let b = 0; b < batch; b++)
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < cols; j++) expect(dst[b * rows * cols + j * rows + i]).toBe(src[b * rows * cols + i * cols + j]);
      }),
      { numRuns: 60 },
    );
  });

  it('simplifies [8,128,3,4,64] by the qkv split permutation without merging, and merges adjacent axes', () => {
    expect(simplifyPermutation([8, 128, 3, 4, 64], [2, 0, 3, 1, 4])).toEqual({ shape: [8, 128, 3, 4, 64], perm: [2, 0, 3, 1, 4] });
    expect(simplifyPermutation([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ shape: [6, 20], perm: [1, 0] });
    expect(simplifyPermutation([1, 3, 1, 5], [3, 2, 1, 0])).toEqual({ shape: [3, 5], perm: [1, 0] });
  });
});
