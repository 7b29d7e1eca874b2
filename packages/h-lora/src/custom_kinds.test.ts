/** The example kinds' own math (IA³ scales activations; rsLoRA's α/√r), and kind settings typed per kind. */
import { it, expect } from 'vitest';
import { tf, Generator, normal, linear } from '@healthgpt/tensor-core';
import { describeBackends, expectClose } from '@healthgpt/testing';
import { ia3Kind } from '../examples/ia3.js';
import '../examples/rslora.js';
import { injectAdapters, adaptedLayers, saveAdapter, loadAdapter, type AdaptedLinear } from './index.js';
import { ToyLM, oneLayer } from './modules.test_util.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describeBackends('example kinds', () => {
  it('IA³ scales the output (bias included) of most layers and the input of feed-forward ones, and merges both ways', () => {
    for (const feedforward of [false, true]) {
      const root = oneLayer(4, 3, 1);
      injectAdapters(root, { targets: ['layer'], kind: 'ia3', config: { feedforwardModules: feedforward ? ['layer'] : [] } });
      const layer = root.eval().child<AdaptedLinear>('layer');
      const l = layer.adapterState('default').get('ia3_l.weight')!;
      expect(l.shape).toEqual(feedforward ? [1, 4] : [3, 1]);
      tf.tidy(() => l.assign(normal(l.shape, 1, 0.5, new Generator(2))));
      const x = normal([5, 4], 0, 1, new Generator(3));
      const y = layer.forward(x);
      const ref = tf.tidy(() => (feedforward ? linear(x.mul(l), layer.weight, layer.bias) : linear(x, layer.weight, layer.bias).mul(l.reshape([1, 3]))));
      expectClose(y, ref, { atol: 1e-6, rtol: 1e-6 }, `ia3 (feedforward ${feedforward})`);
      const b0 = Array.from(layer.bias!.dataSync());
      layer.merge();
      const ym = linear(x, layer.weight, layer.bias);
      expectClose(ym, ref, { atol: 1e-5, rtol: 1e-5 }, 'merged');
      // Scaling the output scales the bias; scaling the input leaves it.
      expect(Array.from(layer.bias!.dataSync()).every((v, i) => v === b0[i])).toBe(feedforward);
      layer.unmerge();
      expectClose(Array.from(layer.bias!.dataSync()), b0, { atol: 1e-6, rtol: 1e-6 }, 'bias after unmerge');
      tf.dispose([x, y, ref, ym]);
      root.dispose();
    }
  });

  it('IA³ settings go to adapter_config.json under their own key and come back', async () => {
    const m = new ToyLM(4, 1, 6).eval();
    injectAdapters(m, { targets: ['qkv_proj', 'down_proj'], kind: 'ia3', config: { feedforwardModules: ['down_proj'] } });
    const dir = await mkdtemp(join(tmpdir(), 'hlora-ia3-'));
    try {
      const json = await saveAdapter(m, dir, 'default');
      expect(json).toMatchObject({ adapter_kind: 'ia3', feedforward_modules: ['down_proj'] });
      const fresh = new ToyLM(4, 1, 6).eval();
      const r = await loadAdapter(fresh, dir);
      expect(r.spec.config).toMatchObject({ feedforwardModules: ['down_proj'] });
      expect(adaptedLayers(fresh).map(([p, l]) => [p, l.adapterState('default').get('ia3_l.weight')!.shape])).toEqual([
        ['model.layers.0.self_attn.qkv_proj', [12, 1]],
        ['model.layers.0.mlp.down_proj', [1, 8]],
      ]);
      const raw = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
      expect(raw.feedforward_modules).toEqual(['down_proj']);
      fresh.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      m.dispose();
    }
  });

  it('kind settings are typed per kind, by kind object and by registered name', () => {
    const m = new ToyLM(4, 1, 6);
    // @ts-expect-error feedforwardModules is a list of names
    expect(() => injectAdapters(m, { targets: ['o_proj'], kind: ia3Kind, config: { feedforwardModules: 3 } })).toThrow(/'config\.feedforwardModules' of adapter kind 'ia3' must be a list/);
    // @ts-expect-error the same through the name, declared by examples/ia3.ts
    expect(() => injectAdapters(m, { targets: ['o_proj'], kind: 'ia3', config: { feedforwardModules: 'down_proj' } })).toThrow(/must be a list/);
    // A name no one declared takes any extra field (checked at run time by the kind).
    expect(injectAdapters(m, { targets: ['o_proj'], kind: 'rslora', config: { r: 4, anything: true } })).toEqual(['model.layers.0.self_attn.o_proj']);
    m.dispose();
  });
}, { only: ['cpu'] });
