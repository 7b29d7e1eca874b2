import { describe, it, expect } from 'vitest';
import { tf, Generator, Linear, normal, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { injectAdapters, adaptedLayers, setActiveAdapter, disableAdapters, enableAdapters, markOnlyAdapterTrainable, HLoraError, AdaptedLinear } from './index.js';
import { ToyLM, Holder } from './modules.test_util.js';

const PHI3 = ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'];
const cfg = { r: 4, loraAlpha: 8, loraNums: 2 };

function randomiseAll(m: ToyLM, seed: number): void {
  const gen = new Generator(seed);
  for (const [, l] of adaptedLayers(m)) for (const name of l.adapterNames()) for (const [, v] of l.adapterState(name)) tf.tidy(() => v.assign(normal(v.shape, 0, 0.3, gen)));
}

describeBackends('injectAdapters', () => {
  it('wraps every matching Linear except lm_head, keeps names, and the parent forward runs the wrappers', async () => {
    const m = new ToyLM(4, 2, 10).eval();
    const x = normal([2, 3, 4], 0, 1, new Generator(1));
    const before = m.forward(x);
    const wrapped = injectAdapters(m, { targets: [...PHI3, 'lm_head'], kind: 'hlora', config: cfg, name: 'comprehension' });
    expect(wrapped).toHaveLength(8);
    expect(wrapped).not.toContain('lm_head');
    expect(m.getSubmodule('lm_head')).not.toBeInstanceOf(AdaptedLinear);
    const names = m.namedParameters().map(([n]) => n);
    expect(names).toContain('model.layers.0.self_attn.qkv_proj.weight');
    expect(names).toContain('model.layers.1.mlp.down_proj.lora_A.comprehension.weight');
    expect(names).toContain('model.layers.1.mlp.down_proj.lora_B.comprehension.weight');
    expect(names).toContain('model.layers.1.mlp.down_proj.lora_route.comprehension.weight');
    expect(names).not.toContain('model.layers.0.self_attn.qkv_proj.bias');
    // Fresh adapters (B = 0) change nothing; random ones do, through the parents' forwards.
    const fresh = m.forward(x);
    expect(Array.from(fresh.dataSync())).toEqual(Array.from(before.dataSync()));
    randomiseAll(m, 2);
    const adapted = m.forward(x);
    expect(tf.tidy(() => tf.max(tf.abs(adapted.sub(before))).dataSync()[0])).toBeGreaterThan(1e-3);
    disableAdapters(m);
    const off = m.forward(x);
    expect(Array.from(off.dataSync())).toEqual(Array.from(before.dataSync()));
    enableAdapters(m);
    await expectNoLeaks(() => m.forward(x), { what: 'adapted model forward' });
    tf.dispose([x, before, fresh, adapted, off]);
    m.dispose();
  });

  it('holds two task adapters resident and switches between them', () => {
    const m = new ToyLM(4, 1, 6).eval();
    injectAdapters(m, { targets: PHI3, kind: 'hlora', config: cfg, name: 'comprehension' });
    const again = injectAdapters(m, { targets: PHI3, kind: 'hlora', config: { r: 8, loraAlpha: 16, loraNums: 4 }, name: 'generation' });
    expect(again).toHaveLength(4);
    randomiseAll(m, 3);
    const x = normal([1, 2, 4], 0, 1, new Generator(4));
    const yc = m.forward(x);
    setActiveAdapter(m, 'generation');
    const yg = m.forward(x);
    setActiveAdapter(m, 'comprehension');
    const yc2 = m.forward(x);
    expect(Array.from(yc2.dataSync())).toEqual(Array.from(yc.dataSync()));
    expect(tf.tidy(() => tf.max(tf.abs(yg.sub(yc))).dataSync()[0])).toBeGreaterThan(1e-3);
    expect(() => setActiveAdapter(m, 'nope')).toThrow(/has no adapter 'nope'/);
    const trainable = markOnlyAdapterTrainable(m, 'generation');
    expect(trainable).toHaveLength(12);
    expect(trainable.every((n) => n.includes('.generation.'))).toBe(true);
    tf.dispose([x, yc, yg, yc2]);
    m.dispose();
  });

  it('accepts a RegExp or a predicate as targets', () => {
    const m = new ToyLM(4, 2, 6);
    expect(injectAdapters(m, { targets: /layers\.1\..*proj$/, kind: 'lora', config: { r: 2, loraAlpha: 2 } })).toHaveLength(4);
    expect(injectAdapters(m, { targets: (p) => p.endsWith('o_proj'), kind: 'lora', config: { r: 2, loraAlpha: 2 }, name: 'b' })).toEqual(['model.layers.0.self_attn.o_proj', 'model.layers.1.self_attn.o_proj']);
    m.dispose();
  });
});

describe('AdaptedLinear keeps its base intact', () => {
  it('runs the base layer’s own forward (a subclass’s fast path) and leaves the Linear usable', () => {
    class CountingLinear extends Linear {
      calls = 0;
      override forward(x: Tensor): Tensor {
        this.calls++;
        return super.forward(x);
      }
    }
    const base = new CountingLinear(4, 3, { gen: new Generator(1) });
    const root = new Holder({ proj: base });
    injectAdapters(root, { targets: ['proj'], kind: 'lora', config: { r: 2, loraAlpha: 2 } });
    const layer = root.child<AdaptedLinear>('proj');
    expect(layer.base).toBe(base);
    expect(layer.weight).toBe(base.weight);
    const x = tf.ones([2, 4]);
    const y = layer.forward(x);
    expect(base.calls).toBe(1);
    expect(base.weight.isDisposed).toBe(false);
    expect(root.namedParameters().map(([n]) => n)).toEqual(['proj.weight', 'proj.bias', 'proj.lora_A.default.weight', 'proj.lora_B.default.weight']);
    expect(root.namedModules().map(([n]) => n)).toContain('proj.base_layer');
    // Injecting a second adapter does not wrap the wrapped base again.
    expect(injectAdapters(root, { targets: /proj/, kind: 'lora', config: { r: 1, loraAlpha: 1 }, name: 'b' })).toEqual(['proj']);
    expect(layer.param('weight')).toBe(base.weight);
    const w = base.weight;
    tf.dispose([x, y]);
    root.dispose(); // disposing the model disposes the wrapped base too
    expect(w.isDisposed).toBe(true);
  });
});

describe('injectAdapters errors', () => {
  it('throws a typed error listing the layers when nothing matches', () => {
    const m = new ToyLM(4, 1, 6);
    const f = () => injectAdapters(m, { targets: ['q_proj'], kind: 'lora', config: { r: 2, loraAlpha: 2 } });
    expect(f).toThrow(HLoraError);
    expect(f).toThrow(/no Linear layer matches targets \[q_proj\].*model\.layers\.0\.self_attn\.qkv_proj/);
    expect(() => injectAdapters(m, { targets: ['lm_head'], kind: 'lora', config: { r: 2, loraAlpha: 2 } })).toThrow(/excluding lm_head/);
    m.dispose();
  });

  it('checks kind and config before touching a layer', () => {
    const m = new ToyLM(4, 1, 6);
    expect(() => injectAdapters(m, { targets: PHI3, kind: 'vera', config: { r: 2, loraAlpha: 2 } })).toThrow(/unknown adapter kind 'vera' \(registered: lora, dora, moe-lora, hlora.*\); register it first with registerAdapterKind/);
    expect(() => injectAdapters(m, { targets: PHI3, kind: 'hlora', config: { r: 6, loraAlpha: 2, loraNums: 4 } })).toThrow(/'config.loraNums' of adapter kind 'hlora' must divide r = 6/);
    expect(adaptedLayers(m)).toHaveLength(0);
    injectAdapters(m, { targets: PHI3, kind: 'lora', config: { r: 2, loraAlpha: 2 } });
    expect(() => injectAdapters(m, { targets: PHI3, kind: 'lora', config: { r: 2, loraAlpha: 2 } })).toThrow(/already has an adapter 'default'/);
    expect(() => markOnlyAdapterTrainable(m, 'x')).toThrow(/no layer holds an adapter 'x'/);
    m.dispose();
  });
});
