import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues, maxAbsDiff } from '@healthgpt/testing';

describe('Conv2DBackpropFilter (wasm: im2col + XNNPACK)', () => {
  it('gives the conv2d weight gradient of the cpu backend on random shapes, strides and padding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }),
          h: fc.integer({ min: 3, max: 9 }),
          w: fc.integer({ min: 3, max: 9 }),
          cin: fc.integer({ min: 1, max: 4 }),
          cout: fc.integer({ min: 1, max: 5 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          sh: fc.integer({ min: 1, max: 2 }),
          sw: fc.integer({ min: 1, max: 2 }),
          pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
          seed: fc.integer({ min: 1, max: 999 }),
        }),
        async ({ n, h, w, cin, cout, kh, kw, sh, sw, pad, seed }) => {
          const info = tf.backend_util.computeConv2DInfo([n, h, w, cin], [kh, kw, cin, cout], [sh, sw], 1, pad);
          const x = randomValues(n * h * w * cin, seed);
          const dy = randomValues(info.outShape.reduce((a, b) => a * b, 1), seed + 1);
          const attrs = { strides: [sh, sw], pad, dataFormat: 'NHWC', filterShape: [kh, kw, cin, cout] } as unknown as tf.NamedAttrMap;
          const { wasm, cpu } = await wasmAndCpu(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, [n, h, w, cin]), dy: tf.tensor(dy, info.outShape) }, attrs) as tf.Tensor);
          expect(wasm.shape).toEqual([kh, kw, cin, cout]);
          expect(maxAbsDiff(wasm.values, cpu.values)).toBeLessThan(1e-4);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('lets a conv layer train on wasm: tf.grad of conv2d equals the cpu gradient', async () => {
    const x = randomValues(2 * 7 * 6 * 3, 5);
    const f = randomValues(3 * 3 * 3 * 4, 6);
    const loss = (k: tf.Tensor) => tf.conv2d(tf.tensor(x, [2, 7, 6, 3]) as tf.Tensor4D, k as tf.Tensor4D, 2, 'same').square().sum();
    const r = await wasmAndCpu(() => tf.grad(loss)(tf.tensor(f, [3, 3, 3, 4])));
    expect(maxAbsDiff(r.wasm.values, r.cpu.values)).toBeLessThan(1e-3);
  });

  it('handles NCHW input and explicit padding', async () => {
    const x = randomValues(2 * 6 * 5 * 3, 11);
    const dy = randomValues(2 * 3 * 2 * 4, 12); // out [2, 3, 2, 4]
    const attrs = (dataFormat: string) => ({ strides: [2, 2], pad: [[0, 0], [1, 1], [1, 0], [0, 0]], dataFormat, filterShape: [3, 3, 3, 4] }) as unknown as tf.NamedAttrMap;
    const nhwc = await wasmAndCpu(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, [2, 6, 5, 3]), dy: tf.tensor(dy, [2, 3, 2, 4]) }, attrs('NHWC')) as tf.Tensor);
    expect(nhwc.wasm.shape).toEqual([3, 3, 3, 4]);
    expect(maxAbsDiff(nhwc.wasm.values, nhwc.cpu.values)).toBeLessThan(1e-4);
    const nchwAttrs = { ...attrs('NCHW'), pad: [[0, 0], [0, 0], [1, 1], [1, 0]] } as unknown as tf.NamedAttrMap;
    const nchw = await wasmAndCpu(() => {
      const xx = tf.tensor(x, [2, 6, 5, 3]).transpose([0, 3, 1, 2]); // [N, C, H, W]
      const dd = tf.tensor(dy, [2, 3, 2, 4]).transpose([0, 3, 1, 2]);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x: xx, dy: dd }, nchwAttrs) as tf.Tensor;
    });
    expect(maxAbsDiff(nchw.wasm.values, nhwc.cpu.values)).toBeLessThan(1e-4);
  });
});
