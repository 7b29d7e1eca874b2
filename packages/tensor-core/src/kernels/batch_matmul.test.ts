import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues, maxAbsDiff } from '@healthgpt/testing';
import { nativeBlas, useNativeMatmul } from './native.js';
import { packedWeightCount } from './packed_weights.js';
import type { WasmBackend } from './wasm_heap.js';

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

describe('BatchMatMul with one b matrix (a weight): packed once, no copy per call', () => {
  const backend = () => tf.backend() as unknown as WasmBackend;

  it('x·Wᵀ and x·W match the cpu backend for every M (1 included), repeated on the same weight (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 70 }),
        fc.constantFrom<number[]>([], [1], [3], [2, 2]),
        fc.constantFrom(1, 2, 5, 17),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        async (n, k, lead, m, tb, ta, seed) => {
          const w = randomValues(n * k, seed);
          const wShape = tb ? [n, k] : [k, n];
          const xs = [0, 1, 2].map((i) => randomValues(lead.reduce((p, q) => p * q, 1) * m * k, seed + 10 + i));
          const xShape = [...lead, ...(ta ? [k, m] : [m, k])];
          // Three products against one weight tensor: the first packs it, the others reuse it.
          const { wasm, cpu } = await wasmAndCpu(() => {
            const W = tf.tensor(w, wShape);
            return tf.stack(xs.map((x) => tf.matMul(tf.tensor(x, xShape), W, ta, tb)));
          });
          expect(wasm.shape).toEqual(cpu.shape);
          expect(maxAbsDiff(wasm.values, cpu.values)).toBeLessThan(1e-4);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('makes no copy of W after the first call, and drops its operator when W is disposed', async () => {
    await tf.setBackend('wasm');
    useNativeMatmul(false);
    const W = tf.tensor(randomValues(300 * 64, 5), [300, 64]);
    const x = tf.tensor(randomValues(64, 6), [1, 64]);
    const before = packedWeightCount(backend());
    tf.matMul(x, W, false, true).dispose();
    expect(packedWeightCount(backend())).toBe(before + 1);
    const sizes: number[] = [];
    const b = backend();
    const make = b.makeOutput.bind(b);
    b.makeOutput = (shape, dtype) => (sizes.push(shape.reduce((p, q) => p * q, 1)), make(shape, dtype));
    try {
      const y = tf.matMul(x, W, false, true);
      expect(y.shape).toEqual([1, 300]);
      y.dispose();
    } finally {
      b.makeOutput = make;
    }
    expect(sizes).toEqual([300]); // only the output
    W.dispose();
    x.dispose();
    expect(packedWeightCount(backend())).toBe(before);
  });

  it('keeps the packed product right after the freed transpose scratch is overwritten', async () => {
    const w = randomValues(96 * 48, 11);
    const x = randomValues(3 * 48, 12);
    const { wasm, cpu } = await wasmAndCpu(() => {
      const W = tf.tensor(w, [96, 48]);
      const X = tf.tensor(x, [3, 48]);
      const first = tf.matMul(X, W, false, true);
      const junk = tf.fill([96 * 48 * 4], 1e6); // likely reuses the scratch's memory
      const second = tf.matMul(X, W, false, true);
      junk.dispose();
      return tf.concat([first, second]);
    });
    expect(maxAbsDiff(wasm.values, cpu.values)).toBeLessThan(1e-4);
  });

  it('a reshape of the same data is not served by the operator packed for the other shape', async () => {
    const w = Array.from({ length: 16 }, (_, i) => i + 1);
    const { wasm, cpu } = await wasmAndCpu(() => {
      const W = tf.tensor2d(w, [4, 4]);
      const a = tf.matMul(tf.ones([1, 4]), W);
      const b = tf.matMul(tf.ones([1, 2]), W.reshape([2, 8]));
      const c = tf.matMul(tf.ones([1, 8]), W.reshape([2, 8]), false, true);
      return tf.concat([a.flatten(), b.flatten(), c.flatten()]);
    });
    expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
  });

  it('follows a Variable through assign (new data, new operator; the old one is dropped)', async () => {
    await tf.setBackend('wasm');
    useNativeMatmul(false);
    const before = packedWeightCount(backend());
    const init = tf.tensor(randomValues(20 * 8, 31), [20, 8]);
    const W = tf.variable(init);
    init.dispose(); // the variable now holds the only reference to this data
    const x = tf.tensor(randomValues(2 * 8, 32), [2, 8]);
    const y1 = tf.matMul(x, W, false, true);
    const doubled = tf.mul(W, 2);
    W.assign(doubled);
    doubled.dispose();
    const y2 = tf.matMul(x, W, false, true);
    const twice = tf.mul(y1, 2);
    expect(maxAbsDiff(y2.dataSync(), twice.dataSync())).toBeLessThan(1e-5);
    expect(packedWeightCount(backend())).toBe(before + 1);
    tf.dispose([W, x, y1, y2, twice]);
    expect(packedWeightCount(backend())).toBe(before);
  });
});
