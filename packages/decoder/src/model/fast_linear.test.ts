import { expect, it } from 'vitest';
import { tf, linear } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { TransposedWeightCache, linearCached } from './fast_linear.js';

describeBackends('linearCached (wasm fast path of DecoderLinear)', () => {
  it('equals linear() in value and in the gradients of x, W and b, and follows weight updates', async () => {
    const w = tf.variable(tf.randomNormal([6, 5], 0, 1, 'float32', 1));
    const bias = tf.variable(tf.randomNormal([6], 0, 1, 'float32', 2));
    const x = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 3);
    const cache = new TransposedWeightCache();
    const f = (fn: typeof linear) => tf.variableGrads(() => tf.sum(tf.square(fn(x, w, bias))) as tf.Scalar, [w, bias]);
    const ref = f(linear);
    const got = f((a, ww, bb) => linearCached(a, ww as tf.Variable, bb ?? null, cache));
    expectClose(got.value, ref.value, { atol: 1e-4, rtol: 1e-5 }, 'loss');
    expectClose(got.grads[w.name], ref.grads[w.name], { atol: 1e-4, rtol: 1e-5 }, 'dW');
    expectClose(got.grads[bias.name], ref.grads[bias.name], { atol: 1e-4, rtol: 1e-5 }, 'db');
    const gx = tf.grad((a: tf.Tensor) => tf.sum(tf.square(linearCached(a, w, bias, cache))))(x);
    const gxRef = tf.grad((a: tf.Tensor) => tf.sum(tf.square(linear(a, w, bias))))(x);
    expectClose(gx, gxRef, { atol: 1e-4, rtol: 1e-5 }, 'dx');
    w.assign(tf.mul(w, 2));
    expectClose(linearCached(x, w, null, cache), linear(x, w), { atol: 1e-5, rtol: 1e-6 }, 'after assign');
    await expectNoLeaks(() => linearCached(x, w, bias, cache), { what: 'linearCached (cache warm)' });
    cache.release();
    expect(() => cache.release()).not.toThrow();
  });
});
