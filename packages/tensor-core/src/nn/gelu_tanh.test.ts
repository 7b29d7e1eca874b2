import { it } from 'vitest';
import fc from 'fast-check';
import { tf, geluTanh } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { randArray } from './reference.test_util.js';

const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;
/** PyTorch's tanh GELU and its derivative, in float64. */
const ref = (v: number) => 0.5 * v * (1 + Math.tanh(C * (v + A * v ** 3)));
const refGrad = (v: number) => {
  const t = Math.tanh(C * (v + A * v ** 3));
  return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * C * (1 + 3 * A * v * v);
};

describeBackends('geluTanh (as x·σ(2u))', () => {
  it('equals 0.5·x·(1 + tanh u) and its derivative (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.1, max: 12, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), (n, scale, seed) => {
        const xs = randArray(n, seed, scale);
        const dy = randArray(n, seed + 1);
        const [y, g] = tf.tidy(() => {
          const x = tf.tensor(xs);
          const w = tf.tensor(dy);
          return [geluTanh(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(geluTanh(a), w)))(x)];
        });
        expectClose(y.dataSync(), Array.from(xs, ref), { atol: 2e-6, rtol: 1e-5 }, 'geluTanh value');
        expectClose(g.dataSync(), Array.from(xs, (v, i) => refGrad(v) * dy[i]), { atol: 1e-5, rtol: 1e-4 }, 'geluTanh gradient');
        tf.dispose([y, g]);
      }),
      { numRuns: 15 },
    );
  });

  it('leaks no tensors forward or backward', async () => {
    const x = tf.randomNormal([4, 6]);
    await expectNoLeaks(() => tf.grad((a: tf.Tensor) => tf.sum(geluTanh(a)))(x), { what: 'geluTanh grad' });
    x.dispose();
  });
});
