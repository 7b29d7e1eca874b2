import { describe, it, expect } from 'vitest';
import { tf, Linear, linear } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';

describeBackends('linear', () => {
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

describe('skipping the initialisation', () => {
  it('init: false gives zeros of the right shapes and draws nothing from the generator', async () => {
    const { Generator, Embedding, Conv2d } = await import('@healthgpt/tensor-core');
    const gen = new Generator(1);
    const before = gen.getState();
    const l = new Linear(5, 3, { init: false, gen });
    const e = new Embedding(7, 2, { init: false, gen });
    const c = new Conv2d(2, 4, 3, { init: false, gen });
    expect(gen.getState()).toEqual(before);
    for (const m of [l, e, c]) for (const [, p] of m.namedParameters()) expect(p.dataSync().every((v) => v === 0)).toBe(true);
    expect(c.namedParameters().map(([n, p]) => `${n}:${p.shape}`)).toEqual(['weight:4,2,3,3', 'bias:4']);
    [l, e, c].forEach((m) => m.dispose());
  });
});
