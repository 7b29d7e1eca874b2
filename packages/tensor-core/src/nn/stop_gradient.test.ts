import { it, expect } from 'vitest';
import { tf, stopGradient } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';

describeBackends('stopGradient', () => {
  it('passes values through and blocks the gradient (x + sg(y − x) has gradient 1 in x, 0 in y)', async () => {
    const x = tf.tensor([1, -2, 3]);
    const y = tf.tensor([4, 5, 6]);
    expect(Array.from(stopGradient(x).dataSync())).toEqual([1, -2, 3]);
    const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.add(a, stopGradient(tf.sub(b, a))), tf.tensor([1, 2, 3]))))([x, y]);
    expect(Array.from(gx.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(gy.dataSync())).toEqual([0, 0, 0]);
    await expectNoLeaks(() => stopGradient(x), { what: 'stopGradient' });
    tf.dispose([x, y, gx, gy]);
  });
});
