import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { tf, initBackend, useNativeMatmul } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues, maxAbsDiff, expectNoLeaks } from '@healthgpt/testing';
import { wasmPools, onOneThread } from './wasm_pool.js';
import { ONE_THREAD_MACS } from './batch_matmul.js';
import type { WasmBackend, WasmModule } from './wasm_heap.js';

type Counted = WasmModule & { _get_threads_count(): number };
const wasmBackend = () => tf.findBackend('wasm') as unknown as WasmBackend;
const threadsNow = () => (wasmBackend().wasm as Counted)._get_threads_count();

/** Thread counts of the pool each `_BatchMatMul` call of `fn` ran on. */
function poolsSeenBy(fn: () => void): number[] {
  const wasm = wasmBackend().wasm;
  const real = wasm._BatchMatMul;
  const seen: number[] = [];
  wasm._BatchMatMul = (...args) => {
    seen.push(threadsNow());
    real(...args);
  };
  try {
    fn();
  } finally {
    wasm._BatchMatMul = real;
  }
  return seen;
}

describe('one-thread XNNPACK pool beside the threaded wasm backend', () => {
  beforeAll(async () => {
    useNativeMatmul(false); // these are XNNPACK's products
    expect(await initBackend({ backend: 'wasm', threads: 2 })).toMatchObject({ name: 'wasm', threads: 2 });
    // Emscripten's export stubs replace themselves on their first call: make it before wrapping one.
    tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync());
  });
  afterAll(async () => {
    useNativeMatmul(true);
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('finds the pool global and swaps it for the length of a call, also when the call throws', () => {
    const pools = wasmPools(wasmBackend());
    expect(pools).toMatchObject({ threads: 2 });
    expect(pools!.single).not.toBe(pools!.shared);
    expect(threadsNow()).toBe(2);
    expect(onOneThread(wasmBackend(), threadsNow)).toBe(1);
    expect(threadsNow()).toBe(2);
    expect(() =>
      onOneThread(wasmBackend(), () => {
        throw new RangeError('inside');
      }),
    ).toThrow(RangeError);
    expect(threadsNow()).toBe(2);
  });

  it('runs small batched entries on one thread and large ones and weight products on both', () => {
    const small = poolsSeenBy(() => tf.tidy(() => tf.matMul(tf.ones([4, 16, 8]), tf.ones([4, 8, 16])).dataSync()));
    expect(small).toEqual([1, 1, 1, 1]);
    // One entry just over the limit: [256, 256]·[256, 256] has 2^24 multiply-adds.
    expect(256 ** 3).toBeGreaterThan(ONE_THREAD_MACS);
    const large = poolsSeenBy(() => tf.tidy(() => tf.matMul(tf.ones([2, 256, 256]), tf.ones([2, 256, 256])).dataSync()));
    expect(large).toEqual([2, 2]);
    const weight = poolsSeenBy(() => tf.tidy(() => tf.matMul(tf.ones([3, 16, 8]), tf.ones([8, 16])).dataSync()));
    expect(weight).toEqual([2]);
  });

  it('batched products on 2 threads match the cpu backend, transposed or not, with no leaks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        async (batch, m, k, n, ta, tb, seed) => {
          const aShape = [batch, ...(ta ? [k, m] : [m, k])];
          const bShape = [batch, ...(tb ? [n, k] : [k, n])];
          const av = randomValues(batch * m * k, seed);
          const bv = randomValues(batch * k * n, seed + 1);
          const { wasm, cpu } = await wasmAndCpu(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), ta, tb));
          expect(wasm.shape).toEqual(cpu.shape);
          expect(maxAbsDiff(wasm.values, cpu.values)).toBeLessThan(1e-5);
          expect(threadsNow()).toBe(2);
        },
      ),
      { numRuns: 30 },
    );
    await expectNoLeaks(() => tf.tidy(() => tf.matMul(tf.ones([8, 32, 16]), tf.ones([8, 32, 16]), false, true).dataSync()), { what: 'batched matmul on 2 threads' });
  });

  it('offers no second pool on a one-thread backend, where onOneThread just runs the call', async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    expect(wasmPools(wasmBackend())).toBeNull();
    expect(onOneThread(wasmBackend(), () => 'ran')).toBe('ran');
    await initBackend({ backend: 'wasm', threads: 2 });
    expect(wasmPools(wasmBackend())).toMatchObject({ threads: 2 });
  });
});
