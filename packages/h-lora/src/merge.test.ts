import { it, expect } from 'vitest';
import { tf, Generator, normal, isLinear } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { injectAdapters, adaptedLayers, mergeAndUnload, HLoraError } from './index.js';
import { ToyLM } from './modules.test_util.js';

const PHI3 = ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'];
const X = () => normal([2, 3, 4], 0, 1, new Generator(5));

/** A model with LoRA 'a' on every projection and DoRA 'b' on the attention ones, all random. */
function model(bias = true): ToyLM {
  const m = new ToyLM(4, 2, 6, 3, bias).eval();
  injectAdapters(m, { targets: PHI3, kind: 'lora', config: { r: 2, loraAlpha: 4 }, name: 'a' });
  injectAdapters(m, { targets: ['qkv_proj', 'o_proj'], kind: 'dora', config: { r: 2, loraAlpha: 4 }, name: 'b' });
  const gen = new Generator(8);
  for (const [, l] of adaptedLayers(m)) for (const n of l.adapterNames()) for (const [, v] of l.adapterState(n)) tf.tidy(() => v.assign(normal(v.shape, 0, 0.3, gen)));
  return m;
}

const paramCount = (m: ToyLM) => m.namedParameters().length;

describeBackends('mergeAndUnload', () => {
  it('folds the chosen adapters in and leaves plain Linear layers computing what the adapter did', async () => {
    const m = model();
    const x = X();
    const y = m.forward(x); // 'a' is active on every layer
    const plain = new ToyLM(4, 2, 6, 3, true);
    const tensors = tf.memory().numTensors;
    expect(mergeAndUnload(m, { adapters: ['a'] })).toHaveLength(8);
    expect(adaptedLayers(m)).toEqual([]);
    expect(m.namedModules().filter(([p]) => p.endsWith('_proj')).every(([, l]) => isLinear(l))).toBe(true);
    expect(m.namedParameters().map(([n]) => n)).toEqual(plain.namedParameters().map(([n]) => n));
    // Every adapter tensor ('b' included) is freed with the wrappers.
    expect(tf.memory().numTensors).toBe(tensors - (8 * 2 + 4 * 3));
    const ym = m.forward(x);
    expectClose(ym, y, { atol: 1e-5, rtol: 1e-5 }, 'merged and unloaded');
    tf.dispose([x, y, ym]);
    [m, plain].forEach((t) => t.dispose());
  });

  it('by default merges every adapter, in the order each layer got them', () => {
    const m = model();
    const x = X();
    // The same merges, done by hand on the wrapped layers.
    const ref = model();
    for (const [, l] of adaptedLayers(ref)) {
      for (const n of l.adapterNames()) l.merge(n);
    }
    const yRef = ref.forward(x);
    mergeAndUnload(m);
    const y = m.forward(x);
    expectClose(y, yRef, { atol: 1e-5, rtol: 1e-5 }, 'all adapters merged');
    tf.dispose([x, y, yRef]);
    [m, ref].forEach((t) => t.dispose());
  });

  it('keeps an adapter merged earlier (without merging it twice) and leaks nothing', async () => {
    const m = model();
    const x = X();
    const [, first] = adaptedLayers(m)[0];
    first.merge('a');
    const y = m.forward(x);
    mergeAndUnload(m, { adapters: ['a'] });
    const ym = m.forward(x);
    expectClose(ym, y, { atol: 1e-5, rtol: 1e-5 }, 'merged earlier');
    await expectNoLeaks(() => {
      const again = model();
      mergeAndUnload(again);
      again.dispose();
    }, { what: 'mergeAndUnload' });
    tf.dispose([x, y, ym]);
    m.dispose();
  });

  it('refuses routed kinds and unknown names before changing anything', () => {
    const m = model();
    injectAdapters(m, { targets: ['down_proj'], kind: 'hlora', config: { r: 4, loraAlpha: 8, loraNums: 2 }, name: 'task' });
    const w = m.namedParameters().map(([n, v]) => [n, Array.from(v.dataSync())]);
    const count = paramCount(m);
    let err: unknown;
    try {
      mergeAndUnload(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HLoraError);
    expect(err).toMatchObject({ code: 'NOT_MERGEABLE' });
    expect((err as Error).message).toMatch(/cannot fold 'task' \(kind 'hlora'\) in 'model\.layers\.0\.mlp\.down_proj', 'task' \(kind 'hlora'\) in 'model\.layers\.1\.mlp\.down_proj'.*routed kinds/);
    expect(() => mergeAndUnload(m, { adapters: ['nope'] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_ADAPTER' }));
    expect(paramCount(m)).toBe(count);
    expect(adaptedLayers(m).every(([, l]) => l.mergedAdapters().length === 0)).toBe(true);
    expect(m.namedParameters().map(([n, v]) => [n, Array.from(v.dataSync())])).toEqual(w);
    // Leaving the routed adapter out merges the others; its layers are unwrapped and it is dropped.
    mergeAndUnload(m, { adapters: ['a', 'b'] });
    expect(adaptedLayers(m)).toEqual([]);
    m.dispose();
  });

  it('a non-finite safe merge in one layer undoes the merges already done', () => {
    const m = model(false);
    const w = m.namedParameters().map(([n, v]) => [n, Array.from(v.dataSync())]);
    const [, last] = adaptedLayers(m).at(-1)!;
    const B = last.adapterState('a').get('lora_B.weight')!;
    tf.tidy(() => B.assign(tf.fill(B.shape, Infinity)));
    expect(() => mergeAndUnload(m)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    expect(adaptedLayers(m)).toHaveLength(8);
    expect(adaptedLayers(m).every(([, l]) => l.mergedAdapters().length === 0)).toBe(true);
    const after = m.namedParameters().map(([n, v]) => [n, Array.from(v.dataSync())]);
    for (let i = 0; i < w.length; i++) {
      if (String(w[i][0]).includes('lora_B.a')) continue;
      expectClose(after[i][1] as number[], w[i][1] as number[], { atol: 1e-5, rtol: 1e-5 }, String(w[i][0]));
    }
    m.dispose();
  });
}, { only: ['cpu'] });
