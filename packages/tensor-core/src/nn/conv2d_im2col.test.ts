import { it, expect } from 'vitest';
import { tf, conv2d, useNativeMatmul, nativeStatus } from '@healthgpt/tensor-core';
import { describeBackends, randomValues } from '@healthgpt/testing';
import { hasIm2Col } from './conv2d_im2col.js';

/** The kernels one convolution forward and backward runs. */
async function kernelsOf(): Promise<string[]> {
  const x = tf.tensor(randomValues(2 * 3 * 6 * 6, 1), [2, 3, 6, 6]);
  const w = tf.tensor(randomValues(4 * 3 * 3 * 3, 2), [4, 3, 3, 3]);
  const info = await tf.profile(() => tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(conv2d(a, f, null, { padding: 1 })))([x, w]));
  tf.dispose([x, w, ...(info.result as tf.Tensor[])]);
  return info.kernelNames;
}

describeBackends('conv2d chooses its path by what runs the matmul', (backend) => {
  it('cpu always takes Im2Col; wasm only while the native BLAS is live, else its own NHWC convolutions', async () => {
    const live = nativeStatus().blas !== null && useNativeMatmul(true);
    try {
      for (const native of live ? [true, false] : [false]) {
        useNativeMatmul(native);
        const im2col = backend === 'cpu' || native;
        expect(hasIm2Col(), `native ${native}`).toBe(im2col);
        const names = await kernelsOf();
        expect(names.includes('HealthGPTIm2Col'), names.join()).toBe(im2col);
        expect(names.includes('HealthGPTCol2Im'), names.join()).toBe(im2col);
        expect(names.includes('Conv2D'), names.join()).toBe(!im2col);
      }
    } finally {
      useNativeMatmul(true);
    }
  });
});
