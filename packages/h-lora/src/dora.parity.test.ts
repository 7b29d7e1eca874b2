/**
 * DoRA against the PyTorch fixture in ../fixtures (generate_dora.py: PEFT's use_dora math in plain
 * PyTorch): output, gradients with the norm detached, merged weight, rsLoRA scaling, the initial
 * magnitude, and a PEFT use_dora adapter folder loaded, run and written back.
 */
import { it, expect, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, loadSafetensors, Linear, Module, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { injectAdapters, loadAdapter, loadAdapterStateDict, saveAdapter, markOnlyAdapterTrainable, type AdaptedLinear } from './index.js';
import { Holder, oneLayer } from './modules.test_util.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

async function fixture(): Promise<{ t: (k: string) => Tensor; all: Map<string, Tensor>; config: { in_features: number; out_features: number; r: number; lora_alpha: number } }> {
  const { tensors } = await loadSafetensors(join(FIXTURES, 'dora_linear.safetensors'));
  const json = JSON.parse(await readFile(join(FIXTURES, 'dora_linear.json'), 'utf8'));
  const t = (k: string) => {
    const v = tensors.get(k);
    if (!v) throw new Error(`dora_linear.safetensors: no tensor '${k}'`);
    return v;
  };
  return { t, all: tensors, config: json.config };
}

/** `block.proj` (6 → 5, bias) then `block.out` (5 → 3, no bias), read through `child` so wrappers run. */
class TwoLayers extends Module {
  constructor() {
    super();
    this.registerModule('block', new Holder({ proj: new Linear(6, 5), out: new Linear(5, 3, { bias: false }) }));
  }

  forward(x: Tensor): Tensor {
    const block = this.child('block');
    return tf.tidy(() => block.child<Linear>('out').forward(block.child<Linear>('proj').forward(x)));
  }
}

let tmp = '';
afterEach(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  tmp = '';
});

describeBackends('DoRA parity (PEFT use_dora in PyTorch)', (backend) => {
  it('matches the output, the gradients (norm detached), the merged weight and rsLoRA', async () => {
    const { t, all, config: c } = await fixture();
    const tol = { atol: 1e-5, rtol: 1e-5 };
    const gtol = { atol: backend === 'wasm' ? 5e-5 : 2e-5, rtol: 5e-5 };
    for (const useRslora of [false, true]) {
      const root = oneLayer(c.in_features, c.out_features);
      root.loadStateDict(new Map([['layer.weight', t('layer.weight')], ['layer.bias', t('layer.bias')]]));
      // A fresh DoRA adapter starts with m = ‖W0‖ per row.
      injectAdapters(root, { targets: ['layer'], kind: 'dora', config: { r: c.r, loraAlpha: c.lora_alpha, useRslora } });
      const layer = root.eval().child<AdaptedLinear>('layer');
      expectClose(layer.adapterState('default').get('lora_magnitude_vector.weight')!, t('io.magnitude_init'), { atol: 1e-6, rtol: 1e-6 }, 'initial magnitude');
      // The fixture stores the magnitude under peft's saved name (no '.weight').
      const { loaded } = loadAdapterStateDict(root, 'default', all, { prefix: '', ignore: [/^(io|block)\./, 'layer.weight', 'layer.bias'] });
      expect(loaded.sort()).toEqual(['layer.lora_A.weight', 'layer.lora_B.weight', 'layer.lora_magnitude_vector']);
      const x = t('io.x');
      const y = layer.forward(x);
      expectClose(y, t(useRslora ? 'io.y_rslora' : 'io.y'), tol, `y (useRslora ${useRslora})`);
      const w0 = layer.weight.clone();
      layer.merge();
      expectClose(layer.weight, t(useRslora ? 'io.merged_weight_rslora' : 'io.merged_weight'), tol, 'merged weight');
      if (!useRslora) {
        const ym = layer.forward(x);
        expectClose(ym, t('io.y_merged'), tol, 'y merged');
        ym.dispose();
      }
      layer.unmerge();
      expectClose(layer.weight, w0, { atol: 1e-6, rtol: 1e-6 }, 'W0 after unmerge');

      if (!useRslora) {
        const g = t('io.g');
        const names = markOnlyAdapterTrainable(root, 'default');
        const loss = () => tf.sum(tf.mul(layer.forward(x), g)) as tf.Scalar; // L = Σ y·g
        const { loss: l, grads } = root.computeGradients(loss);
        expectClose(grads.get('layer.lora_A.default.weight')!, t('io.grad_lora_A'), gtol, 'grad lora_A');
        expectClose(grads.get('layer.lora_B.default.weight')!, t('io.grad_lora_B'), gtol, 'grad lora_B');
        expectClose(grads.get('layer.lora_magnitude_vector.default.weight')!, t('io.grad_magnitude'), gtol, 'grad magnitude');
        // Differentiating through the norm would give this instead: the detach is what makes the match.
        const gap = tf.tidy(() => tf.max(tf.abs(grads.get('layer.lora_A.default.weight')!.sub(t('io.grad_lora_A_not_detached')))).dataSync()[0]);
        expect(gap).toBeGreaterThan(1e-2);
        const gx = tf.grad((xx: Tensor) => tf.sum(tf.mul(layer.forward(xx), g)))(x);
        expectClose(gx, t('io.grad_x'), gtol, 'grad x');
        expect(names).toHaveLength(3);
        await expectNoLeaks(() => layer.forward(x), { what: 'AdaptedLinear(dora).forward' });
        await expectNoLeaks(() => root.computeGradients(loss), { what: 'dora gradients' });
        await expectNoLeaks(() => layer.merge().unmerge(), { what: 'dora merge + unmerge' });
        tf.dispose([l, gx, ...grads.values()]);
      }
      tf.dispose([y, w0]);
      root.dispose();
    }
    all.forEach((v) => v.dispose());
  });

  it('loads a PEFT use_dora folder, runs it, and writes it back with the same keys and values', async () => {
    const { t, all } = await fixture();
    const model = new TwoLayers().eval();
    model.loadStateDict(new Map([['block.proj.weight', t('block.proj.weight')], ['block.proj.bias', t('block.proj.bias')], ['block.out.weight', t('block.out.weight')]]));
    const peftDir = join(FIXTURES, 'dora_peft');
    const r = await loadAdapter(model, peftDir);
    expect(r).toMatchObject({ kind: 'dora', injected: ['block.proj', 'block.out'], missing: [], unexpected: [] });
    expect(r.loaded.sort()).toEqual(['base_model.model.block.out.lora_A.weight', 'base_model.model.block.out.lora_B.weight', 'base_model.model.block.out.lora_magnitude_vector', 'base_model.model.block.proj.lora_A.weight', 'base_model.model.block.proj.lora_B.weight', 'base_model.model.block.proj.lora_magnitude_vector']);
    const y = model.forward(t('io.x'));
    expectClose(y, t('io.y_model'), { atol: 1e-5, rtol: 1e-5 }, 'two DoRA layers');

    tmp = await mkdtemp(join(tmpdir(), 'hlora-dora-'));
    const json = await saveAdapter(model, tmp, 'default');
    expect(json).toMatchObject({ peft_type: 'LORA', r: 3, lora_alpha: 6, use_dora: true, use_rslora: false, bias: 'none', target_modules: ['out', 'proj'], adapter_kind: 'dora', scaling: 2 });
    const [theirs, ours] = await Promise.all([loadSafetensors(join(peftDir, 'adapter_model.safetensors')), loadSafetensors(join(tmp, 'adapter_model.safetensors'))]);
    expect([...ours.tensors.keys()].sort()).toEqual([...theirs.tensors.keys()].sort());
    for (const [k, v] of theirs.tensors) expect(Array.from(ours.tensors.get(k)!.dataSync())).toEqual(Array.from(v.dataSync()));
    // The written folder loads back into a fresh model and computes the same.
    const fresh = new TwoLayers().eval();
    fresh.loadStateDict(model.namedParameters().filter(([n]) => !n.includes('lora_')).reduce((m, [n, v]) => m.set(n, v), new Map<string, Tensor>()));
    await loadAdapter(fresh, tmp);
    const y2 = fresh.forward(t('io.x'));
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
    await expectNoLeaks(() => loadAdapter(fresh, peftDir), { what: 'loadAdapter(dora) into an existing adapter' });
    tf.dispose([y, y2, ...theirs.tensors.values(), ...ours.tensors.values()]);
    model.dispose();
    fresh.dispose();
    all.forEach((v) => v.dispose());
  });
});
