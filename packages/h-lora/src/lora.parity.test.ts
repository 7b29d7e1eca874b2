import { it, expect } from 'vitest';
import { type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks, loadGolden, ioTensor } from '@healthgpt/testing';
import { injectAdapters, loadAdapterStateDict, type AdaptedLinear } from './index.js';
import { oneLayer } from './modules.test_util.js';

describeBackends('lora_linear parity', () => {
  it('matches peft’s LoRA output, merged weight and merged output', async () => {
    const g = await loadGolden('lora_linear');
    const c = g.config as { in_features: number; out_features: number; r: number; lora_alpha: number };
    const root = oneLayer(c.in_features, c.out_features);
    injectAdapters(root, { targets: ['layer'], kind: 'lora', config: { r: c.r, loraAlpha: c.lora_alpha } });
    root.loadStateDict(new Map([...g.weights].filter(([k]) => !k.includes('lora_')) as [string, Tensor][]), { strict: false });
    loadAdapterStateDict(root, 'default', g.weights, { prefix: '', ignore: ['layer.weight', 'layer.bias'] });
    root.eval();
    const layer = root.child<AdaptedLinear>('layer');
    const x = ioTensor(g, 'x');

    const y = layer.forward(x);
    expectClose(y, ioTensor(g, 'y'), { atol: 1e-5 }, 'y');
    layer.merge('default');
    expect(layer.mergedAdapters()).toEqual(['default']);
    expectClose(layer.weight, ioTensor(g, 'merged_weight'), { atol: 1e-5 }, 'merged weight');
    const ym = layer.forward(x);
    expectClose(ym, ioTensor(g, 'y_merged'), { atol: 1e-5 }, 'y merged');
    expect(layer.unmerge()).toBe('default');
    expectClose(layer.weight, g.weights.get('layer.weight')!, { atol: 1e-6 }, 'W0 after unmerge');
    layer.disable();
    const y0 = layer.forward(x);
    expectClose(y0, ioTensor(g, 'y_adapter_disabled'), { atol: 1e-5 }, 'y disabled');

    layer.enable();
    await expectNoLeaks(() => layer.forward(x), { what: 'AdaptedLinear(lora).forward' });
    await expectNoLeaks(() => layer.merge().unmerge(), { what: 'merge + unmerge' });
    [y, ym, y0].forEach((t) => t.dispose());
    root.dispose();
    g.dispose();
  });
});
