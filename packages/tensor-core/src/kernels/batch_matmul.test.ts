import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues, maxAbsDiff } from './cross_backend.js';
import { nativeBlas, useNativeMatmul } from './native.js';

const dim = fc.integer({ min: 1, max: 9 });

describe('BatchMatMul (wasm, XNNPACK for every case)', () => {
  it('matches the cpu backend on random shapes, broadcast batches and transpose flags', async () => {
    await fc.assert(
      fc.asyncProperty(
        dim,
        dim,
        dim,
        fc.constantFrom<number[][]>([[], []], [[3], [3]], [[2, 3], [2, 3]], [[2, 3], []], [[4], [1]], [[1, 1], [3]], [[], [2]]),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        async (m, k, n, [outerA, outerB], ta, tb, seed) => {
          const aShape = [...outerA, ...(ta ? [k, m] : [m, k])];
          const bShape = [...outerB, ...(tb ? [n, k] : [k, n])];
          const av = randomValues(aShape.reduce((x, y) => x * y, 1), seed);
          const bv = randomValues(bShape.reduce((x, y) => x * y, 1), seed + 1);
          const { wasm, cpu } = await wasmAndCpu(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), ta, tb));
          expect(wasm.shape).toEqual(cpu.shape);
          expect(maxAbsDiff(wasm.values, cpu.values)).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('broadcasts batch dims on both sides (the cpu backend cannot: checked by hand)', async () => {
    const r = await wasmAndCpu(() => tf.matMul(tf.tensor([1, 2, 3, 4], [1, 4, 1, 1]), tf.tensor([10, 20, 30], [3, 1, 1, 1])));
    expect(r.wasm.shape).toEqual([3, 4, 1, 1]);
    expect(Array.from(r.wasm.values)).toEqual([10, 20, 30, 40, 20, 40, 60, 80, 30, 60, 90, 120]);
  });

  it('handles a zero-sized inner dimension and a larger XNNPACK case', async () => {
    const z = await wasmAndCpu(() => tf.matMul(tf.zeros([2, 3, 0]), tf.zeros([2, 0, 4])));
    expect(z.wasm.shape).toEqual([2, 3, 4]);
    expect(Array.from(z.wasm.values)).toEqual(new Array(24).fill(0));
    const a = randomValues(4 * 40 * 70, 7);
    const b = randomValues(70 * 33, 8);
    const r = await wasmAndCpu(() => tf.matMul(tf.tensor(a, [4, 70, 40]), tf.tensor(b, [33, 70]), true, true));
    expect(r.wasm.shape).toEqual([4, 40, 33]);
    expect(maxAbsDiff(r.wasm.values, r.cpu.values)).toBeLessThan(1e-4);
  });

  it('keeps the matMul gradient correct (all transpose combinations appear in it)', async () => {
    const a = randomValues(2 * 5 * 6, 3);
    const b = randomValues(2 * 7 * 6, 4);
    const grad = () => {
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, false, true).square().sum())([tf.tensor(a, [2, 5, 6]), tf.tensor(b, [2, 7, 6])]);
      return tf.concat([ga.flatten(), gb.flatten()]);
    };
    const r = await wasmAndCpu(grad);
    expect(maxAbsDiff(r.wasm.values, r.cpu.values)).toBeLessThan(1e-4);
  });

  it('routes through the optional native BLAS when it is built, with the same results (else stays on XNNPACK)', async () => {
    const a = randomValues(3 * 6 * 5, 21);
    const b = randomValues(3 * 7 * 6, 22);
    const product = () => tf.matMul(tf.tensor(a, [3, 6, 5]), tf.tensor(b, [3, 7, 6]), true, true);
    useNativeMatmul(false);
    expect(nativeBlas(), 'switched off').toBeNull();
    const r = await wasmAndCpu(product, { native: true });
    expect(r.wasm.shape).toEqual([3, 5, 7]);
    expect(maxAbsDiff(r.wasm.values, r.cpu.values)).toBeLessThan(1e-5);
    // The cpu backend's BatchMatMul uses the addon too when present.
    await tf.setBackend('cpu');
    useNativeMatmul(true);
    const yt = product();
    const y = yt.dataSync();
    yt.dispose();
    useNativeMatmul(false);
    expect(maxAbsDiff(y, r.cpu.values)).toBeLessThan(1e-5);
  });
});
