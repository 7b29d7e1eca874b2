import { it, expect } from 'vitest';
import { tf, PositionEmbedding, Generator } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';

describeBackends('PositionEmbedding (added whole, no gather)', () => {
  it('adds rows 0..T−1 and sends gradients to those rows only', async () => {
    const pe = new PositionEmbedding(5, 3, { gen: new Generator(2), std: 0.5 });
    expect(pe.namedParameters().map(([n, p]) => `${n}:${p.shape}`)).toEqual(['weight:5,3']);
    const x = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 1);
    const y = pe.forward(x);
    const want = tf.add(x, pe.weight.slice([0, 0], [4, 3]));
    expectClose(y, want, { atol: 0 }, 'x + weight[:4]');
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(pe.forward(x), tf.range(1, 25).reshape([2, 4, 3]))) as tf.Scalar, [pe.weight]);
    const g = Array.from(grads[pe.weight.name].dataSync());
    // Row r gets Σ over the batch of the weights at position r; row 4 (unused) gets nothing.
    expect(g).toEqual([1 + 13, 2 + 14, 3 + 15, 4 + 16, 5 + 17, 6 + 18, 7 + 19, 8 + 20, 9 + 21, 10 + 22, 11 + 23, 12 + 24, 0, 0, 0]);
    expect(() => pe.forward(tf.zeros([1, 6, 3]))).toThrow(/must be \[B, T ≤ 5, 3\], got \[1, 6, 3\]/);
    const full = tf.zeros([1, 5, 3]);
    await expectNoLeaks(() => [pe.forward(x), pe.forward(full)], { what: 'PositionEmbedding.forward' });
    const skipped = new PositionEmbedding(5, 3, { init: false });
    expect(skipped.weight.dataSync().every((v) => v === 0)).toBe(true);
    tf.dispose([x, y, want, full, grads[pe.weight.name]]);
    [pe, skipped].forEach((m) => m.dispose());
  });
});
