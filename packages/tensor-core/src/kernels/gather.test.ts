import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, TensorCoreError } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues } from '@healthgpt/testing';

describe('GatherV2 (wasm: contiguous slice copies)', () => {
  it('matches the cpu backend for random shapes, axes, index shapes and batchDims', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
          fc.record({
            shape: fc.constant(shape),
            axis: fc.integer({ min: 0, max: shape.length - 1 }),
            idxShape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
            batch: fc.boolean(),
            int: fc.boolean(),
            seed: fc.integer({ min: 1, max: 999 }),
          }),
        ),
        async ({ shape, axis, idxShape, batch, int, seed }) => {
          // batchDims 1 needs indices to start with x's first dim and axis ≥ 1.
          const batchDims = batch && axis >= 1 ? 1 : 0;
          const iShape = batchDims ? [shape[0], ...idxShape] : idxShape;
          const n = iShape.reduce((a, b) => a * b, 1);
          const ids = Array.from(randomValues(n, seed), (v) => Math.floor((v + 1) * 0.5 * shape[axis]) % shape[axis]);
          const v = randomValues(shape.reduce((a, b) => a * b, 1), seed + 3);
          const { wasm, cpu } = await wasmAndCpu(() =>
            tf.gather(int ? tf.tensor(Array.from(v, (t) => Math.round(t * 99)), shape, 'int32') : tf.tensor(v, shape), tf.tensor(ids, iShape, 'int32'), axis, batchDims),
          );
          expect(wasm.shape).toEqual(cpu.shape);
          expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('rejects an out-of-range index', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([3, 2]);
    const i = tf.tensor1d([0, 3], 'int32');
    expect(() => tf.gather(x, i)).toThrow(/index value 3 is not in \[0, 2\]/);
    expect(() => tf.gather(x, i)).toThrow(TensorCoreError);
    tf.dispose([x, i]);
  });
});
