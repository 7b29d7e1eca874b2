import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues, maxAbsDiff, expectWithinAllowance, float32SumErrorFactor } from '@healthgpt/testing';

describe('Sum (wasm: contiguous axis blocks without a transpose)', () => {
  it('matches the cpu backend for random shapes, axis sets (contiguous or not), keepDims and dtypes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
          fc.tuple(fc.constant(shape), fc.subarray([...shape.keys()]), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 999 })),
        ),
        async ([shape, axes, keepDims, int, seed]) => {
          const v = randomValues(shape.reduce((a, b) => a * b, 1), seed);
          const x = () => (int ? tf.tensor(Array.from(v, (t) => Math.round(t * 50)), shape, 'int32') : tf.tensor(v, shape));
          const reduced = axes.length ? axes : undefined;
          const { wasm, cpu } = await wasmAndCpu(() => tf.sum(x(), reduced, keepDims));
          expect(wasm.shape).toEqual(cpu.shape);
          if (int) {
            expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
            return;
          }
          // The stock wasm kernel (innermost axes) adds in float32, the cpu one in float64: over a few
          // hundred terms that cancel, the float32 sum is off by up to γₙ·Σ|x| (1e-5 was exceeded for a
          // third of the full sums of 1296 values), so the bound follows the magnitudes summed.
          const terms = reduced ? reduced.reduce((a, i) => a * shape[i], 1) : v.length;
          const magnitude = (await wasmAndCpu(() => tf.sum(tf.abs(x()), reduced, keepDims))).cpu.values;
          expectWithinAllowance(wasm.values, cpu.values, Array.from(magnitude, (m) => float32SumErrorFactor(terms + 1) * m), `sum over [${reduced ?? 'all'}] of [${shape}]`);
        },
      ),
      // The example is a full sum of 1296 values whose float32 error (6.5e-5) exceeded the former 1e-5 bound.
      { numRuns: 40, examples: [[[[6, 6, 6, 6], [0, 1, 2, 3], false, false, 114]]] },
    );
  });

  it('matches the cpu backend on reductions large enough for the native BLAS path (ones · x), with outer blocks', async () => {
    for (const [shape, axes] of [
      [[300, 128], [0]],
      [[2, 200, 100], [1]],
      [[3, 40, 5, 70], [1, 2]],
    ] as [number[], number[]][]) {
      const v = randomValues(shape.reduce((a, b) => a * b, 1), shape.length);
      const { wasm, cpu } = await wasmAndCpu(() => tf.sum(tf.tensor(v, shape), axes), { native: true });
      expect(wasm.shape).toEqual(cpu.shape);
      expect(maxAbsDiff(wasm.values, cpu.values)).toBeLessThan(1e-4);
    }
  });

  it('sums an empty reduction to zeros (the stock kernel left heap garbage)', async () => {
    for (const [shape, axes] of [
      [[0, 1], undefined],
      [[3, 0], [1]],
      [[0, 4], [0]],
    ] as [number[], number[] | undefined][]) {
      const { wasm, cpu } = await wasmAndCpu(() => tf.sum(tf.zeros(shape), axes));
      expect(wasm.shape).toEqual(cpu.shape);
      expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
    }
  });

  it('gives the bias gradient of a linear layer (a sum over the token axis)', async () => {
    const dy = randomValues(64 * 24, 3);
    const r = await wasmAndCpu(() => tf.grad((b: tf.Tensor) => tf.add(tf.zeros([64, 24]), b).mul(tf.tensor(dy, [64, 24])).sum())(tf.zeros([24])));
    expect(maxAbsDiff(r.wasm.values, r.cpu.values)).toBeLessThan(1e-5);
  });
});
