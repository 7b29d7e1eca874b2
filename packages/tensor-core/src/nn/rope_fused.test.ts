import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, applyRotary, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks, randomValues, withoutNativePath } from '@healthgpt/testing';

/** RoPE as the unfused ops tfjs differentiates: x·cos + [−x₂; x₁]·sin. */
function reference(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const [x1, x2] = tf.split(x, 2, -1);
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
}

/** The value and the gradient of Σ(rope(x)·w) with respect to x, cos and sin. */
function valueAndGrads(rope: typeof reference, x: Tensor, cos: Tensor, sin: Tensor, w: Tensor) {
  let value: Float32Array = new Float32Array();
  const grads = tf.grads((a: Tensor, c: Tensor, s: Tensor) => {
    const y = rope(a, c, s);
    value = y.dataSync() as Float32Array;
    return tf.sum(tf.mul(y, w));
  })([x, cos, sin]);
  const out = { value, dx: grads[0].dataSync(), dcos: grads[1].dataSync(), dsin: grads[2].dataSync() };
  tf.dispose(grads);
  return out;
}

describeBackends('applyRotary under a gradient tape: fused forward and backward kernels (no native addon)', () => {
  withoutNativePath(); // the native RoPE would serve it otherwise

  it('gives the bits of the unfused formula, value and input gradient, with zero table gradients (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(8, 16, 32)), // multiples of 4: the SIMD kernels on wasm
        fc.boolean(),
        fc.integer({ min: 1, max: 1e6 }),
        (b, h, t, half, perBatch, seed) => {
          const d = 2 * half;
          const cb = perBatch ? b : 1;
          tf.tidy(() => {
            // Arbitrary tables (halves not equal), so the backward's index pairing is checked too.
            const x = tf.tensor(randomValues(b * h * t * d, seed), [b, h, t, d]);
            const cos = tf.tensor(randomValues(cb * t * d, seed + 1), [cb, 1, t, d]);
            const sin = tf.tensor(randomValues(cb * t * d, seed + 2), [cb, 1, t, d]);
            const w = tf.tensor(randomValues(b * h * t * d, seed + 3), [b, h, t, d]);
            const fused = valueAndGrads(applyRotary, x, cos, sin, w);
            const ref = valueAndGrads(reference, x, cos, sin, w);
            expect(fused.value).toEqual(ref.value);
            expect(fused.dx).toEqual(ref.dx);
            expect(Array.from(fused.dcos).every((v) => v === 0)).toBe(true);
            expect(Array.from(fused.dsin).every((v) => v === 0)).toBe(true);
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('runs one kernel each way instead of the split/neg/concat chain, and leaks nothing', async () => {
    const x = tf.tensor(randomValues(2 * 3 * 4 * 8, 7), [2, 3, 4, 8]);
    const cos = tf.tensor(randomValues(4 * 8, 8), [1, 1, 4, 8]);
    const sin = tf.tensor(randomValues(4 * 8, 9), [1, 1, 4, 8]);
    const info = await tf.profile(() => tf.tidy(() => tf.grad((a: Tensor) => tf.sum(applyRotary(a, cos, sin)))(x)));
    const names = info.kernelNames;
    expect(names).toContain('HealthgptRotary');
    expect(names).toContain('HealthgptRotaryGrad');
    expect(names).not.toContain('Concat');
    expect(names).not.toContain('Neg');
    await expectNoLeaks(() => tf.grad((a: Tensor) => tf.sum(applyRotary(a, cos, sin)))(x), { what: 'RoPE forward and backward' });
    tf.dispose([x, cos, sin]);
  });
});
