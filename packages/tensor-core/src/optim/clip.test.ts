import { expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, clipGradNorm, gradNorm, allFinite, TensorCoreError, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';

const gradsOf = (lists: number[][]) => new Map<string, Tensor>(lists.map((l, i) => [`p${i}`, tf.tensor1d(l)]));
const free = (g: Map<string, Tensor>) => tf.dispose([...g.values()]);
const float = fc.double({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true });

describeBackends('clipGradNorm / allFinite', () => {
  it('returns the total L2 norm and scales by maxNorm / (norm + 1e-6) only when that is below 1 (PyTorch clip_grad_norm_)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(float, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }), fc.double({ min: 0.01, max: 300, noNaN: true }), (lists, maxNorm) => {
        const norm = Math.sqrt(lists.flat().reduce((a, x) => a + x * x, 0));
        const coef = maxNorm / (norm + 1e-6);
        const g = gradsOf(lists);
        const got = clipGradNorm(g, maxNorm);
        expect(Math.abs(got - norm)).toBeLessThanOrEqual(1e-5 * (1 + norm));
        lists.forEach((l, i) => expectClose(g.get(`p${i}`)!, coef < 1 ? l.map((x) => x * coef) : l, { atol: 1e-5, rtol: 1e-5 }, `p${i}`));
        expect(gradNorm(g)).toBeLessThanOrEqual(maxNorm * (1 + 1e-5));
        free(g);
      }),
      { numRuns: 40 },
    );
  });

  it('leaves non-finite gradients alone and reports the norm, or throws NON_FINITE when asked', () => {
    const g = gradsOf([[1, Infinity], [2]]);
    const before = g.get('p1');
    expect(clipGradNorm(g, 1)).toBe(Infinity);
    expect(g.get('p1')).toBe(before);
    expect(() => clipGradNorm(g, 1, { errorIfNonfinite: true })).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    expect(() => clipGradNorm(g, 0)).toThrow(TensorCoreError);
    free(g);
    expect(clipGradNorm(new Map(), 1)).toBe(0);
  });

  it('allFinite is false exactly when some element is NaN or ±Infinity', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.oneof(float, fc.constantFrom(Number.NaN, Infinity, -Infinity, 3.4e38, -3.4e38)), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }), (lists) => {
        const g = gradsOf(lists);
        expect(allFinite(g)).toBe(lists.flat().every(Number.isFinite));
        expect(allFinite(g.values())).toBe(lists.flat().every(Number.isFinite));
        free(g);
      }),
      { numRuns: 60 },
    );
    expect(allFinite(new Map())).toBe(true);
  });

  it('clipping leaks no tensors (the replaced gradients are disposed)', async () => {
    const g = gradsOf([[30, 40], [0]]);
    await expectNoLeaks(() => clipGradNorm(g, 1), { what: 'clipGradNorm' });
    expectClose(g.get('p0')!, [0.6, 0.8], { atol: 1e-6 }, 'clipped');
    await expectNoLeaks(() => allFinite(g), { what: 'allFinite' });
    free(g);
  });
});
