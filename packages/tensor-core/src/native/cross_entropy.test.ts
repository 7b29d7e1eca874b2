import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks, expectWithinAllowance, float32SumErrorFactor, FLOAT32_UNIT_ROUNDOFF } from '@healthgpt/testing';
import { crossEntropy, IGNORE_INDEX } from '../nn/cross_entropy.js';
import { nativeKernels, useNativeMatmul } from '../kernels/native.js';
import { TensorCoreError } from '../errors.js';
import { kernelMissing, onCpuReference, readBack, seeded } from './native_kernels.test_util.js';
import { CROSS_ENTROPY_GRAD_KERNEL, CROSS_ENTROPY_KERNEL, nativeCrossEntropyServes } from './cross_entropy.js';
import { randArray } from '../nn/reference.test_util.js';

const serves = () => nativeKernels()?.crossEntropy !== undefined;

/** The loss and its gradient with respect to the logits (upstream gradient 1.5), read back. */
function lossAndGrad(logits: Tensor, labels: Tensor, ignoreIndex?: number): Float32Array[] {
  const f = (l: Tensor) => tf.mul(crossEntropy(l, labels, ignoreIndex === undefined ? {} : { ignoreIndex }), 1.5);
  return readBack(tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad(f)(logits);
    return [value, grad];
  }));
}

/** Labels for n rows of v classes: mostly in range, some ignored, some outside [0, v). */
function someLabels(n: number, v: number, seed: number, ignore: number): number[] {
  return Array.from(randArray(n, seed), (x, i) => (x > 0.8 ? ignore : x < -0.9 ? (i % 2 ? v : -3) : Math.floor(((x + 1) / 2) * v) % v));
}

describeBackends('cross-entropy on the native path', () => {
  it('loss and gradient equal the tfjs formula on the cpu backend, ignored and out-of-range labels, large logits (property)', () => {
    if (kernelMissing(serves())) return;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 2, max: 300 }), // the tfjs reference's one-hot needs ≥ 2 classes
        fc.constantFrom(1, 8, 60),
        fc.constantFrom(IGNORE_INDEX, 0, 7),
        fc.integer({ min: 1, max: 1e6 }),
        (lead, v, scale, ignore, seed) => {
          const n = lead.reduce((a, b) => a * b, 1);
          const logits = seeded([...lead, v], seed, scale);
          const labels = tf.tensor(someLabels(n, v, seed + 1, ignore), lead, 'int32');
          expect(nativeCrossEntropyServes(logits)).toBe(true);
          const got = lossAndGrad(logits, labels, ignore);
          const want = onCpuReference([logits, labels], ([lc]) => lossAndGrad(lc, tf.tensor(labels.dataSync(), lead, 'int32'), ignore));
          expectClose(got[0], want[0], { atol: 1e-5, rtol: 1e-5 }, `loss [${lead}, ${v}] scale ${scale}`);
          expectClose(got[1], want[1], { atol: 1e-6, rtol: 1e-4 }, `dlogits [${lead}, ${v}] scale ${scale}`);
          tf.dispose([logits, labels]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('the loss is within its float32 error bound of a float64 log-sum-exp, rows summed in lanes (property)', () => {
    if (kernelMissing(serves())) return;
    const u = FLOAT32_UNIT_ROUNDOFF;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 3000 }), fc.constantFrom(1, 8, 60), fc.integer({ min: 1, max: 1e6 }), (rows, v, scale, seed) => {
        const logits = seeded([rows, v], seed, scale);
        const labelList = Array.from(randArray(rows, seed + 1), (x) => Math.floor(((x + 1) / 2) * v) % v);
        const labels = tf.tensor(labelList, [rows], 'int32');
        const [loss] = readBack([crossEntropy(logits, labels)]);
        const x = Array.from(logits.dataSync());
        // float64 reference: mean over rows of log Σ e^(x − m) − (x_label − m).
        let want = 0;
        for (let i = 0; i < rows; i++) {
          const row = x.slice(i * v, (i + 1) * v);
          const m = Math.max(...row);
          const s = row.reduce((a, b) => a + Math.exp(b - m), 0);
          want += Math.log(s) - (row[labelList[i]] - m);
        }
        want /= rows;
        // Each row: the max is exact; each term e^(x − m) is off by ≤ 87u (the rounded difference,
        // |x − m| ≤ 87 before e^x is clamped) and 6u (exp_approx, within 2 ulp of expf, itself
        // within 1 ulp); their sum by γ_(v−1) in any order (the lanes); terms below e^−87 are
        // clamped up to it (≤ v·e^−87 on a sum ≥ 1). log turns the sum's relative error ρ into
        // ≤ ρ / (1 − ρ), and stores it as a float (u·|log s| ≤ u·log v). The mean is taken in
        // float64 and rounded once to float32.
        const term = 93 * u;
        const rho = term + float32SumErrorFactor(v - 1) * (1 + term) + v * Math.exp(-87);
        const allowance = rho / (1 - rho) + u * Math.log(v) + u * Math.abs(want) * 1.01;
        expectWithinAllowance(loss, [want], allowance, `loss [${rows}, ${v}] scale ${scale}`);
        tf.dispose([logits, labels]);
      }),
      { numRuns: 60 },
    );
  });

  it('a vocabulary of 5,000 over 40 rows, and a batch whose labels are all ignored (loss +0, gradient 0)', () => {
    if (kernelMissing(serves())) return;
    const logits = seeded([40, 5000], 3, 6);
    const labels = tf.tensor(someLabels(40, 5000, 4, IGNORE_INDEX), [40], 'int32');
    const got = lossAndGrad(logits, labels);
    const want = onCpuReference([logits, labels], ([lc, yc]) => lossAndGrad(lc, yc.cast('int32')));
    expectClose(got[0], want[0], { atol: 1e-5, rtol: 1e-5 }, 'loss');
    expectClose(got[1], want[1], { atol: 1e-7, rtol: 1e-4 }, 'dlogits');
    const none = tf.fill([40], IGNORE_INDEX, 'int32');
    const [loss, grad] = lossAndGrad(logits, none);
    expect(Object.is(loss[0], 0)).toBe(true);
    expect(grad.every((g) => g === 0)).toBe(true);
    tf.dispose([logits, labels, none]);
  });

  it('runs one kernel forward and one backward under a tape, and no softmax or one-hot', async () => {
    if (kernelMissing(serves())) return;
    const logits = tf.randomNormal([2, 5, 11]);
    const labels = tf.tensor([[0, 3, -100, 10, 2], [1, 1, 4, 9, -100]], [2, 5], 'int32');
    const { kernels } = await tf.profile(() => tf.grad((l: Tensor) => crossEntropy(l, labels))(logits));
    const names = kernels.map((k) => k.name);
    expect(names.filter((k) => k === CROSS_ENTROPY_KERNEL)).toHaveLength(1);
    expect(names.filter((k) => k === CROSS_ENTROPY_GRAD_KERNEL)).toHaveLength(1);
    expect(names).not.toContain('Softmax');
    expect(names).not.toContain('OneHot');
    tf.dispose([logits, labels]);
  });

  it('is off with the native path off, and bad labels are refused before any kernel runs', () => {
    const logits = tf.randomNormal([4, 8]);
    useNativeMatmul(false);
    expect(nativeCrossEntropyServes(logits)).toBe(false);
    useNativeMatmul(true);
    expect(nativeCrossEntropyServes(logits)).toBe(serves());
    const floats = tf.tensor([0, 1, 2, 3]);
    expect(() => crossEntropy(logits, floats)).toThrow(TensorCoreError);
    expect(() => crossEntropy(logits, floats)).toThrow(/'labels' passed to 'crossEntropy' must be int32/);
    const wrong = tf.tensor([0, 1, 2], [3], 'int32');
    expect(() => crossEntropy(logits, wrong)).toThrow(/must match the leading dims/);
    tf.dispose([logits, floats, wrong]);
  });

  it('the addon refuses operands too short for their sizes', () => {
    if (kernelMissing(serves())) return;
    const addon = nativeKernels()!;
    const x = new Float32Array(6);
    const l = new Int32Array(2);
    const s = new Float32Array(4);
    const one = new Float32Array(1);
    expect(() => addon.crossEntropy!(x, 1, l, 0, s, 0, one, 0, 2, 3, -100)).toThrow(/rows·v, 2·rows and 1 floats/);
    expect(() => addon.crossEntropy!(x, 0, new Int32Array(1), 0, s, 0, one, 0, 2, 3, -100)).toThrow(/labels an Int32Array holding rows/);
    expect(() => addon.crossEntropy!(x, 0, new Float32Array(2) as unknown as Int32Array, 0, s, 0, one, 0, 2, 3, -100)).toThrow(/Int32Array/);
    expect(() => addon.crossEntropy!(x, 0, l, 0, s, 0, one, 0, 0, 3, -100)).toThrow(/rows and v must be ≥ 1/);
    expect(() => addon.crossEntropyGrad!(x, 0, l, 0, s, 0, one, 1, x, 0, 2, 3, -100)).toThrow(/rows·v, 2·rows, 1 and rows·v floats/);
  });

  it('forward and backward leak no tensors', async () => {
    const w = tf.variable(tf.randomNormal([3, 4, 9]));
    const labels = tf.tensor([[0, 8, -100, 2], [1, 1, 3, -100], [5, 4, 0, 9]], [3, 4], 'int32');
    await expectNoLeaks(() => crossEntropy(w, labels), { what: 'crossEntropy' });
    await expectNoLeaks(() => tf.variableGrads(() => crossEntropy(w, labels) as tf.Scalar, [w]), { what: 'crossEntropy variableGrads' });
    tf.dispose([w, labels]);
  });
});
