import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, geluTanh, crossEntropy } from '@healthgpt/tensor-core';
import { expectNoLeaks, randomValues, maxAbsDiff } from '@healthgpt/testing';
import { fusedGeluTanh, fusedCrossEntropy } from './fused.js';

/** Value and gradient of `f` at x, as arrays. */
function valueAndGrad(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, weights: tf.Tensor) {
  const { value, grad } = tf.tidy(() => {
    const g = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.mul(f(t), weights)));
    const r = g(x);
    return { value: tf.keep(f(x)), grad: tf.keep(r.grad) };
  });
  const out = { value: value.dataSync(), grad: grad.dataSync() };
  tf.dispose([value, grad]);
  return out;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused ops equal the nn autodiff versions [${backend}]`, () => {
    it('fusedGeluTanh: value and gradient on random shapes', async () => {
      await tf.setBackend(backend);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 999 }), async (shape, seed) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const x = tf.tensor(Float32Array.from(randomValues(n, seed), (v) => v * 6), shape);
          const w = tf.tensor(randomValues(n, seed + 1), shape);
          const fused = valueAndGrad(fusedGeluTanh, x, w);
          const ref = valueAndGrad(geluTanh, x, w);
          expect(maxAbsDiff(fused.value, ref.value)).toBeLessThan(2e-6);
          expect(maxAbsDiff(fused.grad, ref.grad)).toBeLessThan(2e-5);
          tf.dispose([x, w]);
        }),
        { numRuns: 15 },
      );
    });

    it('fusedCrossEntropy: loss and logits gradient, with ignored labels', async () => {
      await tf.setBackend(backend);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 999 }), async (rows, v, seed) => {
          const logits = tf.tensor(Float32Array.from(randomValues(rows * v, seed), (t) => t * 5), [rows, v]);
          const labels = tf.tensor1d(Array.from(randomValues(rows, seed + 2), (t, i) => (i % 3 === 2 ? -100 : Math.floor((t + 1) * 0.5 * v) % v)), 'int32');
          const w = tf.scalar(1.7);
          const fused = valueAndGrad((l) => fusedCrossEntropy(l, labels), logits, w);
          const ref = valueAndGrad((l) => crossEntropy(l, labels), logits, w);
          expect(maxAbsDiff(fused.value, ref.value)).toBeLessThan(1e-5);
          expect(maxAbsDiff(fused.grad, ref.grad)).toBeLessThan(1e-6);
          tf.dispose([logits, labels, w]);
        }),
        { numRuns: 15 },
      );
    });

    it('leaks nothing and rejects bad labels', async () => {
      await tf.setBackend(backend);
      const x = tf.randomNormal([3, 5]);
      const labels = tf.tensor1d([0, 4, -100], 'int32');
      await expectNoLeaks(() => tf.grad((t: tf.Tensor) => fusedCrossEntropy(fusedGeluTanh(t), labels))(x), { what: 'fused ops' });
      expect(() => fusedCrossEntropy(x, tf.tensor1d([0, 1, 2]))).toThrow(/'labels' passed to 'fusedCrossEntropy' must be int32/);
      tf.dispose([x, labels]);
    });
  });
}
