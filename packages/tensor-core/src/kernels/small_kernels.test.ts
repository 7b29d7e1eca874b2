import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks, wasmAndCpu, randomValues, maxAbsDiff } from '@healthgpt/testing';

describe('Identity, Unpack and Tanh on wasm', () => {
  it('Identity shares data without a copy, and disposing either side keeps the other valid', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = x.clone();
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    await expectNoLeaks(() => y.clone(), { what: 'clone' });
    y.dispose();
    // A variable updated after being cloned: the clone keeps the old value.
    const v = tf.variable(tf.tensor1d([5, 6]));
    const snap = v.clone();
    v.assign(tf.tensor1d([7, 8]));
    expect(Array.from(snap.dataSync())).toEqual([5, 6]);
    expect(Array.from(v.dataSync())).toEqual([7, 8]);
    tf.dispose([snap, v]);
  });

  it('Unpack matches the cpu backend on random shapes and axes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }).chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.integer({ min: 1, max: 99 }))),
        async ([shape, axis, seed]) => {
          const v = randomValues(shape.reduce((a, b) => a * b, 1), seed);
          const { wasm, cpu } = await wasmAndCpu(() => tf.concat(tf.unstack(tf.tensor(v, shape), axis).map((t) => t.flatten())));
          expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('Tanh matches the cpu backend, including large magnitudes', async () => {
    const v = Float32Array.from(randomValues(500, 4), (t, i) => t * (i % 7 === 0 ? 40 : 4));
    const r = await wasmAndCpu(() => tf.tanh(tf.tensor(v)));
    expect(maxAbsDiff(r.wasm.values, r.cpu.values)).toBeLessThan(1e-6);
  });

  it('Cast to the same dtype shares data; other casts and Tile match the cpu backend', async () => {
    const v = Float32Array.from(randomValues(24, 9), (t) => t * 10);
    const same = await wasmAndCpu(() => tf.cast(tf.tensor(v, [2, 3, 4]), 'float32'));
    expect(Array.from(same.wasm.values)).toEqual(Array.from(same.cpu.values));
    const toInt = await wasmAndCpu(() => tf.cast(tf.tensor(v, [2, 3, 4]), 'int32'));
    expect(Array.from(toInt.wasm.values)).toEqual(Array.from(toInt.cpu.values));
    const fill = await wasmAndCpu(() => tf.tile(tf.tensor([2.5], [1, 1, 1]), [2, 3, 4]));
    expect(fill.wasm.shape).toEqual([2, 3, 4]);
    expect(Array.from(fill.wasm.values)).toEqual(Array.from(fill.cpu.values));
    const general = await wasmAndCpu(() => tf.tile(tf.tensor(v.slice(0, 6), [2, 3]), [2, 2]));
    expect(Array.from(general.wasm.values)).toEqual(Array.from(general.cpu.values));
  });
});
