import { describe, it, expect } from 'vitest';
import { tf, Linear, linear } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks, loadGolden } from '@healthgpt/testing';

describeBackends('linear', () => {
  it('matches the lora_linear fixture base output (y = x Wᵀ + b)', async () => {
    const g = await loadGolden('lora_linear');
    const y = linear(g.io.get('x')!, g.weights.get('layer.weight')!, g.weights.get('layer.bias')!);
    expectClose(y, g.io.get('y_adapter_disabled')!, { atol: 1e-5 }, 'y');
    y.dispose();
    g.dispose();
  });

  it('Linear has PyTorch layout and does not leak', async () => {
    const l = new Linear(6, 4);
    expect(l.weight.shape).toEqual([4, 6]);
    expect(l.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    const x = tf.randomNormal([2, 3, 6]);
    await expectNoLeaks(() => l.forward(x), { what: 'Linear.forward' });
    x.dispose();
    l.dispose();
  });
});

describe('linear validation', () => {
  it('names the argument and op on a bad shape', () => {
    const w = tf.zeros([4, 6]);
    const x = tf.zeros([2, 5]);
    expect(() => linear(x, w)).toThrow(/'x' passed to 'linear' must end in 6/);
    tf.dispose([w, x]);
  });
});
