import { describe, it, expect } from 'vitest';
import { tf, Generator, normal, Linear, linear } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { AdaptedLinear, adapterKindNames, getAdapterKind, HLoraError, type AdapterConfig } from './index.js';

function layerWith(kind: string, config: AdapterConfig, seed = 1, name = 'a'): AdaptedLinear {
  const l = new AdaptedLinear(new Linear(6, 5, { gen: new Generator(seed) }), 'toy');
  l.addAdapter(name, kind, config, { gen: new Generator(seed + 1) });
  const gen = new Generator(seed + 2);
  for (const [, v] of l.adapterState(name)) tf.tidy(() => v.assign(normal(v.shape, 0, 0.5, gen)));
  return l;
}

const cfgFor = (kind: string): AdapterConfig => (getAdapterKind(kind).experts ? { r: 4, loraAlpha: 8, loraNums: 2, loraDropout: 0.3 } : { r: 4, loraAlpha: 8, loraDropout: 0.3 });

describeBackends('AdaptedLinear', () => {
  for (const kind of adapterKindNames()) {
    it(`${kind}: forward, routerProbs and a training step leak nothing (dropout on)`, async () => {
      const l = layerWith(kind, cfgFor(kind));
      l.train();
      const x = normal([2, 3, 6], 0, 1, new Generator(9));
      const y = l.forward(x);
      expect(y.shape).toEqual([2, 3, 5]);
      await expectNoLeaks(() => l.forward(x), { what: `${kind} forward (train)` });
      await expectNoLeaks(() => l.computeGradients(() => tf.sum(tf.square(l.forward(x))) as tf.Scalar), { what: `${kind} gradients` });
      if (getAdapterKind(kind).gate) await expectNoLeaks(() => l.routerProbs(x), { what: `${kind} routerProbs` });
      tf.dispose([x, y]);
      l.dispose();
    });
  }

  it('hlora applies dropout after A, on the scaled h (one rank: each token gets 0 or 1/(1−p) times the update)', () => {
    const l = layerWith('hlora', { r: 1, loraAlpha: 1, loraNums: 1, loraDropout: 0.5, dropoutSeed: 7 });
    const x = normal([64, 6], 0, 1, new Generator(3));
    const base = linear(x, l.weight, l.bias);
    l.eval();
    const dEval = tf.sub(l.forward(x), base).arraySync() as number[][];
    l.train();
    const dTrain = tf.sub(l.forward(x), base).arraySync() as number[][];
    let kept = 0;
    dTrain.forEach((row, n) => {
      const isZero = row.every((v) => Math.abs(v) < 1e-5);
      if (!isZero) {
        kept++;
        row.forEach((v, o) => expect(v).toBeCloseTo(2 * dEval[n][o], 4));
      }
    });
    expect(kept).toBeGreaterThan(10);
    expect(kept).toBeLessThan(54);
    tf.dispose([x, base]);
    l.dispose();
  });

  it('dropout is seeded: the same dropoutSeed gives the same masks', () => {
    const mk = () => layerWith('hlora', { r: 4, loraAlpha: 8, loraNums: 2, loraDropout: 0.5, dropoutSeed: 11 }).train() as AdaptedLinear;
    const [a, b] = [mk(), mk()];
    const x = normal([4, 6], 0, 1, new Generator(3));
    const [ya, yb] = [a.forward(x), b.forward(x)];
    expect(Array.from(ya.dataSync())).toEqual(Array.from(yb.dataSync()));
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it('merges a stack of LoRA adapters and unmerges them in reverse order', async () => {
    const l = layerWith('lora', { r: 2, loraAlpha: 4 });
    l.addAdapter('b', 'lora', { r: 3, loraAlpha: 3 }, { gen: new Generator(5) });
    for (const [, v] of l.adapterState('b')) tf.tidy(() => v.assign(normal(v.shape, 0, 0.5, new Generator(6))));
    l.eval();
    const x = normal([3, 6], 0, 1, new Generator(3));
    const w0 = l.weight.clone();
    const yb = l.setActive('b').forward(x);
    l.merge('a');
    l.merge('b');
    expect(l.mergedAdapters()).toEqual(['a', 'b']);
    // W = W0 + ΔWa + ΔWb; 'b' is active and merged, so forward adds nothing on top.
    const ya = l.setActive('a').forward(x); // a is merged too
    const yBoth = linear(x, l.weight, l.bias);
    expectClose(ya, yBoth, { atol: 1e-6 }, 'forward with everything merged');
    expect(() => l.merge('a')).toThrow(/already merged/);
    expect(l.unmerge()).toBe('b');
    expect(l.unmerge()).toBe('a');
    expect(l.unmerge()).toBeNull();
    expectClose(l.weight, w0, { atol: 1e-6 }, 'W0');
    const yb2 = l.setActive('b').forward(x);
    expectClose(yb2, yb, { atol: 1e-5 }, 'b after unmerge');
    await expectNoLeaks(() => l.merge('a').unmerge(), { what: 'merge/unmerge' });
    tf.dispose([x, w0, yb, ya, yBoth, yb2]);
    l.dispose();
  });

  it('disable() unmerges first, so a disabled layer really is the base', () => {
    const l = layerWith('lora', { r: 2, loraAlpha: 4 }).eval() as AdaptedLinear;
    const x = normal([3, 6], 0, 1, new Generator(3));
    const w0 = l.weight.clone();
    l.merge();
    l.disable();
    expect(l.mergedAdapters()).toEqual([]);
    const y = l.forward(x);
    expectClose(y, linear(x, w0, l.bias), { atol: 1e-5 }, 'disabled after merge');
    tf.dispose([x, w0, y]);
    l.dispose();
  });

  it('a safe merge refuses non-finite values, names the adapter and leaves W0 untouched', () => {
    const l = layerWith('lora', { r: 2, loraAlpha: 4 });
    const w0 = l.weight.clone();
    const B = l.adapterState('a').get('lora_B.weight')!;
    tf.tidy(() => B.assign(tf.fill(B.shape, Infinity)));
    expect(() => l.merge('a')).toThrow(HLoraError);
    expect(() => l.merge('a')).toThrow(/safe merge of adapter 'a' into layer 'toy' produced non-finite values/);
    expect(Array.from(l.weight.dataSync())).toEqual(Array.from(w0.dataSync()));
    expect(l.mergedAdapters()).toEqual([]);
    w0.dispose();
    l.dispose();
  });
});

describe('AdaptedLinear validation', () => {
  it('names the layer, adapter and argument', () => {
    const l = layerWith('hlora', { r: 4, loraAlpha: 8, loraNums: 2 });
    const x = tf.zeros([2, 7]);
    expect(() => l.forward(x)).toThrow(/'x' passed to 'forward' of layer 'toy' must end in 6, got \[2, 7\]/);
    expect(() => l.setActive('b')).toThrow(/'setActive': layer 'toy' has no adapter 'b' \(has: a\)/);
    expect(() => l.addAdapter('a', 'lora', { r: 1, loraAlpha: 1 })).toThrow(/already has an adapter 'a'/);
    expect(() => l.addAdapter('x.y', 'lora', { r: 1, loraAlpha: 1 })).toThrow(/'name' passed to 'addAdapter'/);
    expect(() => l.addAdapter('c', 'lora', { r: 0, loraAlpha: 1 })).toThrow(/'config.r' of adapter kind 'lora' must be a positive integer, got 0/);
    expect(() => l.addAdapter('c', 'lora', { r: 2, loraAlpha: 1, loraNums: 2 })).toThrow(/'config.loraNums' of adapter kind 'lora' must be absent or 1/);
    expect(() => l.addAdapter('c', 'moe-lora', { r: 2, loraAlpha: 1 })).toThrow(/'config.loraNums' of adapter kind 'moe-lora' must be a positive integer/);
    expect(() => l.addAdapter('c', 'lora', { r: 2, loraAlpha: 1, loraDropout: 1 })).toThrow(/'config.loraDropout' .* must be in \[0, 1\)/);
    expect(() => l.merge()).toThrow(expect.objectContaining({ code: 'NOT_MERGEABLE' }));
    const m = new Map([['lora_A.weight', tf.zeros([3, 6])]]);
    expect(() => l.loadAdapterState('a', m)).toThrow(/missing keys: lora_B.weight, lora_route.weight; shape mismatches: lora_A.weight expected \[4,6\] got \[3,6\]/);
    tf.dispose([x, ...m.values()]);
    l.dispose();
  });
});
