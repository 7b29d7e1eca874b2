import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks, wasmAndCpu, randomValues } from '@healthgpt/testing';

describe('Concat on wasm', () => {
  it('matches the cpu backend on random shapes, axes and input counts (empty inputs, short and long rows)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 1, max: 99 }),
        async (shape, axisSeed, widths, seed) => {
          const axis = (axisSeed % (2 * shape.length)) - shape.length;
          const ax = axis < 0 ? axis + shape.length : axis;
          const shapes = widths.map((w) => shape.map((d, i) => (i === ax ? w : d)));
          const values = shapes.map((s, i) => randomValues(s.reduce((a, b) => a * b, 1), seed + i));
          const { wasm, cpu } = await wasmAndCpu(() => tf.concat(shapes.map((s, i) => tf.tensor(values[i], s)), axis));
          expect(wasm.shape).toEqual(cpu.shape);
          expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('joins int32 tensors; a wrong shape is refused; no leaks', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor([1, 2, 3, 4], [2, 2], 'int32');
    const b = tf.tensor([5, 6], [2, 1], 'int32');
    const c = tf.concat([a, b], 1);
    expect(c.dtype).toBe('int32');
    expect(Array.from(c.dataSync())).toEqual([1, 2, 5, 3, 4, 6]);
    expect(() => tf.concat([a, tf.zeros([3, 1], 'int32')], 1)).toThrow();
    await expectNoLeaks(() => tf.tidy(() => tf.concat([a, b, a.slice([0, 0], [2, 1])], 1)), { what: 'concat' });
    tf.dispose([a, b, c]);
  });
});
