import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { crossEntropy, IGNORE_INDEX } from './cross_entropy.js';
import { randArray } from './reference.test_util.js';

type CE = (l: tf.Tensor, y: tf.Tensor) => tf.Tensor;

/**
 * The oracle, from the definition through autodiff: −Σ_supervised log softmax(x)[label] / #supervised
 * (labels other than `IGNORE_INDEX` count, an out-of-range one adding 0 as its one-hot row is empty).
 */
const reference: CE = (logits, labels) =>
  tf.tidy(() => {
    const v = logits.shape[logits.rank - 1];
    const flatLabels = labels.reshape([-1]); // [N]
    const supervised = tf.cast(tf.notEqual(flatLabels, IGNORE_INDEX), 'float32'); // [N]
    const rows = tf.mul(tf.logSoftmax(logits.reshape([-1, v])), tf.oneHot(flatLabels, v)); // [N, V]: a row of zeros for a label outside [0, V)
    const total = tf.sum(tf.mul(tf.sum(rows, -1), supervised));
    return tf.div(tf.neg(total), tf.maximum(tf.sum(supervised), 1));
  });

function valueAndGrad(f: CE, logits: tf.Tensor, labels: tf.Tensor): [Float32Array, Float32Array] {
  const [v, g] = tf.tidy(() => {
    const r = tf.valueAndGrad((l: tf.Tensor) => tf.mul(f(l, labels), 1.5))(logits);
    return [r.value, r.grad];
  });
  const out: [Float32Array, Float32Array] = [v.dataSync() as Float32Array, g.dataSync() as Float32Array];
  tf.dispose([v, g]);
  return out;
}

describeBackends('crossEntropy (softmax with a hand-written gradient)', () => {
  it('equals the log-softmax autodiff formula: value and gradient, with ignored and out-of-range labels (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 2, max: 9 }),
        fc.double({ min: 0.1, max: 40, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        (lead, v, scale, seed) => {
          const n = lead.reduce((a, b) => a * b, 1);
          const r = randArray(n, seed + 1);
          // mostly valid labels; some ignored (−100), some out of range (V, −3)
          const labs = Array.from(r, (x, i) => (x > 0.8 ? -100 : x < -0.9 ? (i % 2 ? v : -3) : Math.floor(((x + 1) / 2) * v) % v));
          const logits = tf.tensor(randArray(n * v, seed, scale), [...lead, v]);
          const labels = tf.tensor(labs, lead, 'int32');
          const [val, grad] = valueAndGrad(crossEntropy, logits, labels);
          const [rv, rg] = valueAndGrad(reference, logits, labels);
          expectClose(val, rv, { atol: 1e-5, rtol: 1e-5 }, 'loss');
          expectClose(grad, rg, { atol: 1e-6, rtol: 1e-4 }, 'gradient');
          if (labs.every((l) => l === -100)) expect(Object.is(val[0], 0)).toBe(true);
          tf.dispose([logits, labels]);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('leaks no tensors forward or backward', async () => {
    const logits = tf.randomNormal([3, 4, 7]);
    const labels = tf.tensor([[0, 6, -100, 2], [1, 1, 3, -100], [5, 4, 0, 0]], [3, 4], 'int32');
    await expectNoLeaks(() => crossEntropy(logits, labels), { what: 'crossEntropy' });
    await expectNoLeaks(() => tf.grad((l: tf.Tensor) => crossEntropy(l, labels))(logits), { what: 'crossEntropy grad' });
    tf.dispose([logits, labels]);
  });
});
