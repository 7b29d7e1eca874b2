import { it, expect } from 'vitest';
import { tf, Linear, Module, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, loadGolden, expectNoLeaks } from '@healthgpt/testing';
import { importHealthGPTRelease, inspectRelease, adapterStateDict, adaptedLayers, AdapterStateError, HLoraError } from './index.js';
import { Holder } from './modules.test_util.js';

/** Bias-free Linear layers at `paths` (shapes from the release's lora_A / lora_B), plus an lm_head. */
function skeleton(weights: Map<string, Tensor>, paths: string[]): Module {
  const root = new Holder({});
  const put = (path: string, m: Module) => {
    const parts = path.split('.');
    let node: Module = root;
    for (const p of parts.slice(0, -1)) {
      const next = node.namedChildren().find(([n]) => n === p)?.[1] ?? (node as Holder).add(p, new Holder({}));
      node = next;
    }
    (node as Holder).add(parts[parts.length - 1], m);
  };
  for (const p of paths) {
    const inF = weights.get(`base_model.model.${p}.lora_A.weight`)!.shape[1] ?? 0; // A: [r, in]
    const outF = weights.get(`base_model.model.${p}.lora_B.weight`)!.shape[0]; // B: [out, r]
    put(p, new Linear(inF, outF, { bias: false }));
  }
  put('lm_head', new Linear(64, 320, { bias: false }));
  return root;
}

describeBackends('HealthGPT release import (healthgpt_tiny)', () => {
  it('imports the release’s H-LoRA keys as a named task adapter and saves them back under the same keys', async () => {
    const g = await loadGolden('healthgpt_tiny');
    const layout = inspectRelease(g.weights);
    expect(layout).toMatchObject({ r: 8, loraNums: 4 });
    expect(layout.paths).toHaveLength(8);
    expect(layout.otherKeys.sort()).toEqual(['base_model.model.model.mm_projector.0.bias', 'base_model.model.model.mm_projector.0.weight', 'base_model.model.model.mm_projector.2.bias', 'base_model.model.model.mm_projector.2.weight']);
    const root = skeleton(g.weights, layout.paths);
    // The Phi-3 base weights load under the same module names.
    const phi3 = await loadGolden('phi3_tiny');
    const base = new Map([...phi3.weights].filter(([k]) => layout.paths.some((p) => k === `${p}.weight`) || k === 'lm_head.weight'));
    expect(base.size).toBe(9);
    root.loadStateDict(base);

    const r = importHealthGPTRelease(root, g.weights, { name: 'comprehension' });
    expect(r.injected).toEqual(layout.paths);
    expect(r.loaded).toHaveLength(24);
    expect(adaptedLayers(root).map(([p]) => p)).not.toContain('lm_head');
    const [, layer] = adaptedLayers(root)[0];
    expect(layer.adapterInfo('comprehension').kind.scaling(layer.adapterInfo('comprehension').config)).toBe(8);
    expect(root.namedParameters().map(([n]) => n)).toContain('model.layers.0.self_attn.qkv_proj.lora_route.comprehension.weight');
    const saved = adapterStateDict(root, 'comprehension');
    expect([...saved.keys()].sort()).toEqual([...g.weights.keys()].filter((k) => k.includes('.lora_')).sort());
    for (const [k, t] of saved) expect(Array.from(t.dataSync())).toEqual(Array.from(g.weights.get(k)!.dataSync()));
    expect(Array.from(layer.weight.dataSync())).toEqual(Array.from(phi3.weights.get(`${adaptedLayers(root)[0][0]}.weight`)!.dataSync()));

    // Importing again (the adapter exists now) overwrites it in place and leaks nothing.
    await expectNoLeaks(() => importHealthGPTRelease(root, g.weights, { name: 'comprehension' }), { what: 'importHealthGPTRelease' });

    // Strict: a release missing a layer's tensors is refused with the keys listed.
    const partial = new Map([...g.weights].filter(([k]) => !k.startsWith('base_model.model.model.layers.1.mlp.down_proj.')));
    expect(() => importHealthGPTRelease(root, partial, { name: 'comprehension' })).toThrow(AdapterStateError);
    expect(() => importHealthGPTRelease(root, partial, { name: 'comprehension' })).toThrow(/missing keys: base_model\.model\.model\.layers\.1\.mlp\.down_proj\.lora_A\.weight/);
    root.dispose();
    g.dispose();
    phi3.dispose();
  });

  it('refuses tensors with no H-LoRA keys', () => {
    const t = tf.zeros([2]);
    expect(() => inspectRelease(new Map([['model.embed_tokens.weight', t]]))).toThrow(HLoraError);
    t.dispose();
  });
}, { only: ['cpu'] });
