/**
 * peft's LoraConfig fields that change the math, end to end: rank_pattern / alpha_pattern,
 * use_rslora, layers_to_transform (+ layers_pattern), exclude_modules, target_modules as a regex,
 * bias (none / lora_only / all), and a huge rank refused from the header before allocation.
 */
import { describe, it, expect, beforeEach } from 'vitest';
import fc from 'fast-check';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf, Generator, normal, loadSafetensors, saveSafetensors, type Tensor } from '@healthgpt/tensor-core';
import { injectAdapters, adaptedLayers, saveAdapter, loadAdapter, markOnlyAdapterTrainable, AdapterStateError, HLoraError } from './index.js';
import { ToyLM } from './modules.test_util.js';
import { tempDir } from '@healthgpt/testing';

const PHI3 = ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'];
const layerConfigs = (m: ToyLM) => Object.fromEntries(adaptedLayers(m).map(([p, l]) => [p, [l.adapterInfo('default').config.r, l.adapterInfo('default').config.loraAlpha]]));

function randomise(m: ToyLM, seed = 8): void {
  const gen = new Generator(seed);
  for (const [, l] of adaptedLayers(m)) for (const n of l.adapterNames()) for (const [, v] of l.adapterState(n)) tf.tidy(() => v.assign(normal(v.shape, 0, 0.3, gen)));
}

function sameOutputs(a: ToyLM, b: ToyLM): void {
  const x = normal([2, 3, 4], 0, 1, new Generator(5));
  const [ya, yb] = [a.forward(x), b.forward(x)];
  expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
  tf.dispose([x, ya, yb]);
}

let dir = '';
beforeEach(() => {
  dir = tempDir('hlora-peft');
});

describe('rank_pattern and alpha_pattern', () => {
  it('give layers their own r and lora_alpha (first matching key wins), and round-trip through adapter_config.json', async () => {
    const m = new ToyLM(4, 2, 6).eval();
    injectAdapters(m, { targets: PHI3, kind: 'lora', config: { r: 2, loraAlpha: 4 }, rankPattern: { 'layers\\.1\\.mlp\\.down_proj': 3, '.*o_proj': 4, o_proj: 5 }, alphaPattern: { qkv_proj: 8 } });
    expect(layerConfigs(m)).toEqual({
      'model.layers.0.self_attn.qkv_proj': [2, 8],
      'model.layers.0.self_attn.o_proj': [4, 4],
      'model.layers.0.mlp.gate_up_proj': [2, 4],
      'model.layers.0.mlp.down_proj': [2, 4],
      'model.layers.1.self_attn.qkv_proj': [2, 8],
      'model.layers.1.self_attn.o_proj': [4, 4],
      'model.layers.1.mlp.gate_up_proj': [2, 4],
      'model.layers.1.mlp.down_proj': [3, 4],
    });
    const [, o] = adaptedLayers(m)[1];
    expect(o.adapterState('default').get('lora_A.weight')!.shape).toEqual([4, 12]);
    randomise(m);
    const json = await saveAdapter(m, dir, 'default');
    // The most common r and alpha are the defaults; the others are exact-path patterns.
    expect(json).toMatchObject({ r: 2, lora_alpha: 4, target_modules: PHI3.slice().sort() });
    expect(json.rank_pattern).toEqual({ 'model\\.layers\\.0\\.self_attn\\.o_proj': 4, 'model\\.layers\\.1\\.self_attn\\.o_proj': 4, 'model\\.layers\\.1\\.mlp\\.down_proj': 3 });
    expect(json.alpha_pattern).toEqual({ 'model\\.layers\\.0\\.self_attn\\.qkv_proj': 8, 'model\\.layers\\.1\\.self_attn\\.qkv_proj': 8 });
    const fresh = new ToyLM(4, 2, 6).eval();
    await loadAdapter(fresh, dir);
    expect(layerConfigs(fresh)).toEqual(layerConfigs(m));
    sameOutputs(m, fresh);
    // peft-style keys (module names and fragments, not whole paths) load the same adapter.
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, rank_pattern: { o_proj: 4, 'layers\\.1\\.mlp\\.down_proj': 3 }, alpha_pattern: { qkv_proj: 8 } }));
    const again = new ToyLM(4, 2, 6).eval();
    await loadAdapter(again, dir);
    expect(layerConfigs(again)).toEqual(layerConfigs(m));
    sameOutputs(m, again);
    [m, fresh, again].forEach((x) => x.dispose());
  });

  it('checks every layer’s config before touching any, naming the layer', () => {
    const m = new ToyLM(4, 1, 6);
    expect(() => injectAdapters(m, { targets: PHI3, kind: 'hlora', config: { r: 4, loraAlpha: 8, loraNums: 2 }, rankPattern: { down_proj: 3 } })).toThrow(
      /'config\.loraNums' of adapter kind 'hlora' must divide r = 3.*layer 'model\.layers\.0\.mlp\.down_proj', from rankPattern/,
    );
    expect(() => injectAdapters(m, { targets: PHI3, kind: 'lora', config: { r: 4 }, rankPattern: { '(': 3 } })).toThrow(expect.objectContaining({ code: 'CONFIG', path: 'rankPattern.(' }));
    expect(adaptedLayers(m)).toEqual([]);
    m.dispose();
  });
});

describe('use_rslora', () => {
  it('scales by alpha / sqrt(r) for lora and dora, and is written and read as peft’s flag', async () => {
    for (const kind of ['lora', 'dora']) {
      const rs = new ToyLM(4, 1, 6).eval(), plain = new ToyLM(4, 1, 6).eval();
      injectAdapters(rs, { targets: ['o_proj'], kind, config: { r: 4, loraAlpha: 6, useRslora: true } });
      // alpha / sqrt(r) = 3 = alpha' / r with alpha' = 12.
      injectAdapters(plain, { targets: ['o_proj'], kind, config: { r: 4, loraAlpha: 12 } });
      randomise(rs);
      randomise(plain);
      const [, l] = adaptedLayers(rs)[0];
      expect(l.adapterInfo('default').kind.scaling(l.adapterInfo('default').config)).toBe(3);
      sameOutputs(rs, plain);
      const json = await saveAdapter(rs, dir, 'default');
      expect(json).toMatchObject({ use_rslora: true, scaling_rule: 'lora_alpha / sqrt(r)', scaling: 3, use_dora: kind === 'dora' });
      const fresh = new ToyLM(4, 1, 6).eval();
      await loadAdapter(fresh, dir);
      sameOutputs(rs, fresh);
      [rs, plain, fresh].forEach((x) => x.dispose());
    }
  });
});

describe('layers_to_transform, layers_pattern, exclude_modules, target_modules as a regex', () => {
  const adapted = (m: ToyLM) => adaptedLayers(m).map(([p]) => p);

  it('selects layers by index as peft does', () => {
    const m = new ToyLM(4, 3, 6);
    injectAdapters(m, { targets: ['qkv_proj'], kind: 'lora', config: {}, layersToTransform: [0, 2] });
    expect(adapted(m)).toEqual(['model.layers.0.self_attn.qkv_proj', 'model.layers.2.self_attn.qkv_proj']);
    injectAdapters(m, { targets: ['o_proj'], kind: 'lora', config: {}, layersToTransform: 1, layersPattern: 'layers', name: 'b' });
    expect(adapted(m)).toContain('model.layers.1.self_attn.o_proj');
    expect(() => injectAdapters(m, { targets: ['o_proj'], kind: 'lora', config: {}, layersToTransform: 1, layersPattern: ['h', 'blocks'], name: 'c' })).toThrow(expect.objectContaining({ code: 'NO_MATCH' }));
    // A full path in the list is taken as is (peft skips the index filter for exact names).
    injectAdapters(m, { targets: ['model.layers.1.mlp.down_proj', 'gate_up_proj'], kind: 'lora', config: {}, layersToTransform: [0], name: 'd' });
    expect(adaptedLayers(m).filter(([, l]) => l.adapterNames().includes('d')).map(([p]) => p)).toEqual(['model.layers.0.mlp.gate_up_proj', 'model.layers.1.mlp.down_proj']);
    expect(() => injectAdapters(m, { targets: /o_proj/, kind: 'lora', config: {}, layersToTransform: [0], name: 'e' })).toThrow(/applies to a list of module names/);
    expect(() => injectAdapters(m, { targets: ['o_proj'], kind: 'lora', config: {}, layersToTransform: [-1], name: 'e' })).toThrow(/'layersToTransform' .* non-negative integer/);
    m.dispose();
  });

  it('saves exactly the adapted layers (a regex when module names would pick more) and loads them back', async () => {
    const m = new ToyLM(4, 3, 6).eval();
    injectAdapters(m, { targets: ['qkv_proj', 'down_proj'], kind: 'lora', config: { r: 2 }, layersToTransform: [1] });
    randomise(m);
    const json = await saveAdapter(m, dir, 'default');
    expect(json.target_modules).toBe('model\\.layers\\.1\\.self_attn\\.qkv_proj|model\\.layers\\.1\\.mlp\\.down_proj');
    const fresh = new ToyLM(4, 3, 6).eval();
    await loadAdapter(fresh, dir);
    expect(adapted(fresh)).toEqual(adapted(m));
    sameOutputs(m, fresh);
    [m, fresh].forEach((x) => x.dispose());
  });

  it('reads layers_to_transform, exclude_modules and all-linear from adapter_config.json', async () => {
    const src = new ToyLM(4, 3, 6).eval();
    injectAdapters(src, { targets: 'all-linear', kind: 'lora', config: { r: 2 }, exclude: /.*layers\.[02]\..*|.*down_proj|lm_head/ });
    randomise(src);
    await saveAdapter(src, dir, 'default');
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    // The same layers, described as peft users write it.
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, target_modules: ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'], layers_to_transform: [1], layers_pattern: 'layers', exclude_modules: ['down_proj'] }));
    const a = new ToyLM(4, 3, 6).eval();
    await loadAdapter(a, dir);
    expect(adapted(a)).toEqual(adapted(src));
    sameOutputs(src, a);
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, target_modules: 'all-linear', exclude_modules: '.*layers\\.[02]\\..*|.*down_proj' }));
    const b = new ToyLM(4, 3, 6).eval();
    await loadAdapter(b, dir);
    expect(adapted(b)).toEqual(adapted(src));
    [src, a, b].forEach((x) => x.dispose());
  });
});

describe('bias', () => {
  const biasOf = (m: ToyLM, key: string) => Array.from(m.namedParameters().find(([n]) => n === key)![1].dataSync());
  const shift = (m: ToyLM, keys: string[]) => {
    for (const [n, v] of m.namedParameters()) if (keys.includes(n)) tf.tidy(() => v.assign(v.add(1.5)));
  };
  const O = 'model.layers.0.self_attn.o_proj.bias';

  it("'lora_only' trains and saves the adapted layers' biases (peft's base_layer.bias key; the legacy key and absence accepted)", async () => {
    const m = new ToyLM(4, 1, 6, 3, true).eval();
    injectAdapters(m, { targets: ['o_proj'], kind: 'lora', config: { r: 2 }, bias: 'lora_only' });
    randomise(m);
    expect(markOnlyAdapterTrainable(m, 'default').sort()).toEqual([O, 'model.layers.0.self_attn.o_proj.lora_A.default.weight', 'model.layers.0.self_attn.o_proj.lora_B.default.weight']);
    shift(m, [O]); // as training would
    const json = await saveAdapter(m, dir, 'default');
    expect(json.bias).toBe('lora_only');
    const { tensors } = await loadSafetensors(join(dir, 'adapter_model.safetensors'));
    expect([...tensors.keys()].sort()).toEqual(['base_model.model.model.layers.0.self_attn.o_proj.base_layer.bias', 'base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight', 'base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight']);
    const fresh = new ToyLM(4, 1, 6, 3, true).eval();
    expect(biasOf(fresh, O)).not.toEqual(biasOf(m, O));
    await loadAdapter(fresh, dir);
    expect(biasOf(fresh, O)).toEqual(biasOf(m, O));
    sameOutputs(m, fresh);
    // The pre-wrapper key form loads too; a file without the bias (peft versions that dropped it) keeps the base bias.
    const legacy = new Map([...tensors].map(([k, t]) => [k.replace('.base_layer.bias', '.bias'), t] as [string, Tensor]));
    await saveSafetensors(join(dir, 'adapter_model.safetensors'), legacy);
    const l2 = new ToyLM(4, 1, 6, 3, true).eval();
    await loadAdapter(l2, dir);
    expect(biasOf(l2, O)).toEqual(biasOf(m, O));
    await saveSafetensors(join(dir, 'adapter_model.safetensors'), new Map([...tensors].filter(([k]) => !k.endsWith('bias'))));
    const l3 = new ToyLM(4, 1, 6, 3, true).eval();
    const before = biasOf(l3, O);
    await loadAdapter(l3, dir);
    expect(biasOf(l3, O)).toEqual(before);
    tensors.forEach((t) => t.dispose());
    [m, fresh, l2, l3].forEach((x) => x.dispose());
  });

  it("'all' trains and saves every bias of the model, adapted or not, and requires them on load", async () => {
    const m = new ToyLM(4, 1, 6, 3, true).eval();
    injectAdapters(m, { targets: ['o_proj', 'qkv_proj'], kind: 'dora', config: { r: 2 }, bias: 'all' });
    randomise(m);
    const biases = m.namedParameters().map(([n]) => n).filter((n) => n.endsWith('bias'));
    expect(biases.sort()).toEqual(['lm_head.bias', 'model.layers.0.mlp.down_proj.bias', 'model.layers.0.mlp.gate_up_proj.bias', 'model.layers.0.self_attn.o_proj.bias', 'model.layers.0.self_attn.qkv_proj.bias', 'model.norm.bias']);
    const trainable = markOnlyAdapterTrainable(m, 'default');
    for (const b of biases) expect(trainable).toContain(b);
    shift(m, biases);
    await saveAdapter(m, dir, 'default');
    const { tensors } = await loadSafetensors(join(dir, 'adapter_model.safetensors'));
    const keys = [...tensors.keys()];
    expect(keys).toContain('base_model.model.model.layers.0.self_attn.o_proj.base_layer.bias');
    expect(keys).toContain('base_model.model.model.layers.0.mlp.down_proj.bias');
    expect(keys).toContain('base_model.model.lm_head.bias');
    expect(keys).toContain('base_model.model.model.norm.bias');
    const fresh = new ToyLM(4, 1, 6, 3, true).eval();
    await loadAdapter(fresh, dir);
    for (const b of biases) expect(biasOf(fresh, b)).toEqual(biasOf(m, b));
    sameOutputs(m, fresh);
    // A missing bias is a missing key, and the failed load changes no bias.
    await saveSafetensors(join(dir, 'adapter_model.safetensors'), new Map([...tensors].filter(([k]) => k !== 'base_model.model.lm_head.bias')));
    const l2 = new ToyLM(4, 1, 6, 3, true).eval();
    const before = biases.map((b) => biasOf(l2, b));
    const err = await loadAdapter(l2, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterStateError);
    expect((err as AdapterStateError).missing).toEqual(['base_model.model.lm_head.bias']);
    expect(biases.map((b) => biasOf(l2, b))).toEqual(before);
    expect(adaptedLayers(l2)).toEqual([]);
    tensors.forEach((t) => t.dispose());
    [m, fresh, l2].forEach((x) => x.dispose());
  });
});

describe('sizes checked from the header before anything is allocated', () => {
  async function smallFolder(r: number, extra: Record<string, unknown> = {}) {
    const m = new ToyLM(4, 1, 6);
    injectAdapters(m, { targets: ['o_proj'], kind: 'lora', config: { r: 2 } });
    await saveAdapter(m, dir, 'default');
    m.dispose();
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, r, scaling: null, ...extra }));
  }

  it('refuses r = 3e6 beside a small file without allocating', async () => {
    await smallFolder(3_000_000);
    const m = new ToyLM(4, 1, 6);
    const { numTensors, numBytes } = tf.memory();
    const err = await loadAdapter(m, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HLoraError);
    expect(err).toMatchObject({ code: 'CHECKPOINT', file: join(dir, 'adapter_model.safetensors'), key: 'base_model.model.model.layers.0.self_attn.o_proj' });
    expect((err as Error).message).toMatch(/needs 48000000 adapter numbers, the weights file holds 32; nothing was allocated/);
    expect(tf.memory()).toMatchObject({ numTensors, numBytes });
    expect(adaptedLayers(m)).toEqual([]);
    m.dispose();
  });

  it('refuses any rank (or rank_pattern) the file cannot hold, and loads the one it can', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1e9 }), fc.boolean(), async (r, viaPattern) => {
        await smallFolder(viaPattern ? 2 : r, viaPattern ? { rank_pattern: { o_proj: r } } : {});
        const m = new ToyLM(4, 1, 6);
        const before = tf.memory().numTensors;
        const result = await loadAdapter(m, dir).then(
          () => 'loaded',
          (e: unknown) => e,
        );
        if (r === 2) expect(result).toBe('loaded');
        else {
          expect(result).toMatchObject({ code: 'CHECKPOINT' });
          expect(tf.memory().numTensors).toBe(before);
        }
        m.dispose();
      }),
      {
        numRuns: 12,
        examples: [
          [2, false],
          [2, true],
          [3_000_000, true],
        ],
      },
    );
  });
});

describe('loadAdapter fuzz', () => {
  it('a corrupted adapter_config.json either loads or fails with an HLoraError, leaving the model as it was', async () => {
    const src = new ToyLM(4, 2, 6);
    injectAdapters(src, { targets: PHI3, kind: 'lora', config: { r: 2, loraAlpha: 4 } });
    await saveAdapter(src, dir, 'default');
    src.dispose();
    const good = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    const mutation = fc.record({
      key: fc.constantFrom('r', 'lora_alpha', 'target_modules', 'bias', 'rank_pattern', 'layers_to_transform', 'use_dora', 'lora_nums', 'adapter_kind', 'modules_to_save', 'exclude_modules'),
      value: fc.oneof(fc.integer({ min: -2, max: 40 }), fc.constantFrom('lora', 'none', 'all', 'qkv_proj', '.*', '('), fc.constant(null), fc.boolean(), fc.constant(['o_proj']), fc.constant({ o_proj: 3 }), fc.constant([0])),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (muts) => {
        const cfg = { ...good };
        for (const { key, value } of muts) cfg[key] = value;
        await writeFile(join(dir, 'adapter_config.json'), JSON.stringify(cfg));
        const m = new ToyLM(4, 2, 6);
        const names = m.namedParameters().map(([n]) => n);
        const tensors = tf.memory().numTensors;
        try {
          await loadAdapter(m, dir);
        } catch (e) {
          expect(e).toBeInstanceOf(HLoraError);
          expect((e as HLoraError).file).toBeDefined();
          expect(m.namedParameters().map(([n]) => n)).toEqual(names);
          expect(tf.memory().numTensors).toBe(tensors);
        }
        m.dispose();
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});
