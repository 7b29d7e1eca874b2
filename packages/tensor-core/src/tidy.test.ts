import { describe, it, expect } from 'vitest';
import { tf, tidy, type Tensor } from '@healthgpt/tensor-core';

interface Pair {
  out: Tensor;
  cache: { keys: Tensor; values: Tensor }[];
}

describe('tidy (typed tf.tidy)', () => {
  it('keeps every tensor reachable from a typed result and disposes the rest', () => {
    const before = tf.memory().numTensors;
    const r: Pair = tidy(() => {
      const a = tf.ones([2]);
      const scratch = tf.mul(a, 3);
      return { out: tf.add(scratch, 1), cache: [{ keys: a, values: tf.zeros([1]) }] };
    });
    expect(Array.from(r.out.dataSync())).toEqual([4, 4]);
    expect(tf.memory().numTensors - before).toBe(3); // out, keys, values; `scratch` is gone
    tf.dispose([r.out, r.cache[0].keys, r.cache[0].values]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
