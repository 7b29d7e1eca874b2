import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { rmsNorm, rmsNormReference } from '../nn/norms.js';
import { randArray } from '../nn/reference.test_util.js';
import { nativeKernels, useNativeMatmul } from '../kernels/native.js';
import { kernelMissing, onCpuReference, readBack, seeded } from './native_kernels.test_util.js';
import { nativeRmsNorm, nativeRmsNormServes, RMS_NORM_GRAD_KERNEL, RMS_NORM_KERNEL } from './rms_norm.js';

/** y (from `value`, default f) and the gradients of Σ f(x, w)·probe with respect to x and w, read back. */
function valueAndGrads(f: (x: Tensor, w: Tensor) => Tensor, x: Tensor, w: Tensor, probe: Tensor, value = f): Float32Array[] {
  return readBack(tf.tidy(() => [value(x, w), ...tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(f(a, b), probe)))([x, w])]));
}

const serves = () => nativeKernels()?.rmsNorm !== undefined;

describeBackends('RMSNorm on the native path', () => {
  it('value and gradients equal the autodiff formula on the cpu backend, on shapes the threads split (property)', () => {
    if (kernelMissing(serves())) return;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        (lead, d, offset, seed) => {
          const shape = [...lead, d];
          const n = shape.reduce((a, c) => a * c, 1);
          const x = tf.tensor(randArray(n, seed, 2).map((v) => v + offset), shape);
          const w = seeded([d], seed + 1, 1.5);
          const probe = seeded(shape, seed + 3);
          expect(nativeRmsNormServes(x, w)).toBe(true);
          // The value straight from the native op (rmsNorm outside a tape takes the inference kernel).
          const got = valueAndGrads((a, b) => rmsNorm(a, b, 1e-5), x, w, probe, (a, b) => nativeRmsNorm(a, b, 1e-5));
          const want = onCpuReference([x, w, probe], ([xc, wc, pc]) => valueAndGrads((a, b) => rmsNormReference(a, b, 1e-5), xc, wc, pc));
          ['y', 'dx', 'dw'].forEach((name, i) => expectClose(got[i], want[i], { atol: 1e-4, rtol: 1e-3 }, `${name} [${shape}]`));
          tf.dispose([x, w, probe]);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('runs one kernel forward and one backward', async () => {
    if (kernelMissing(serves())) return;
    const x = tf.randomNormal([6, 32]);
    const w = tf.randomNormal([32]);
    const { kernels } = await tf.profile(() => tf.grads((a: Tensor, b: Tensor) => tf.sum(rmsNorm(a, b)))([x, w]));
    const names = kernels.map((k) => k.name);
    expect(names.filter((k) => k === RMS_NORM_KERNEL)).toHaveLength(1);
    expect(names.filter((k) => k === RMS_NORM_GRAD_KERNEL)).toHaveLength(1);
    expect(names).not.toContain('BatchMatMul');
    tf.dispose([x, w]);
  });

  it('is off with the native path off, and without a [D] float32 weight', () => {
    const x = tf.randomNormal([4, 8]);
    const w = tf.ones([8]);
    const wide = tf.ones([1, 8]);
    expect(nativeRmsNormServes(x, null)).toBe(false);
    expect(nativeRmsNormServes(x, wide)).toBe(false);
    useNativeMatmul(false);
    expect(nativeRmsNormServes(x, w)).toBe(false);
    useNativeMatmul(true);
    expect(nativeRmsNormServes(x, w)).toBe(serves());
    tf.dispose([x, w, wide]);
  });

  it('forward and backward leak no tensors', async () => {
    const x = tf.randomNormal([3, 70]);
    const w = tf.variable(tf.ones([70]));
    await expectNoLeaks(() => tf.tidy(() => tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.square(rmsNorm(a, b))))([x, w])), { what: 'rmsNorm grads' });
    await expectNoLeaks(() => tf.variableGrads(() => tf.sum(rmsNorm(x, w)) as tf.Scalar, [w]), { what: 'rmsNorm variableGrads' });
    await expectNoLeaks(() => tf.tidy(() => rmsNorm(x, w)), { what: 'rmsNorm forward' });
    tf.dispose([x, w]);
  });
});
