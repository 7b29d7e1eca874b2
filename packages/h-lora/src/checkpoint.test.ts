import { describe, it, expect, beforeEach } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf, Generator, normal, loadSafetensors, saveSafetensors } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks, tempDir } from '@healthgpt/testing';
import { injectAdapters, adaptedLayers, saveAdapter, loadAdapter, adapterStateDict, loadAdapterStateDict, deleteAdapter, AdapterStateError, HLoraError } from './index.js';
import { ToyLM } from './modules.test_util.js';

const PHI3 = ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'];

function model(): ToyLM {
  const m = new ToyLM(4, 2, 6).eval();
  injectAdapters(m, { targets: PHI3, kind: 'hlora', config: { r: 4, loraAlpha: 8, loraNums: 2 }, name: 'comprehension' });
  injectAdapters(m, { targets: ['qkv_proj'], kind: 'lora', config: { r: 2, loraAlpha: 4 }, name: 'generation' });
  const gen = new Generator(8);
  for (const [, l] of adaptedLayers(m)) for (const n of l.adapterNames()) for (const [, v] of l.adapterState(n)) tf.tidy(() => v.assign(normal(v.shape, 0, 0.3, gen)));
  return m;
}

let dir = '';
beforeEach(() => {
  dir = tempDir('hlora-ckpt');
});

describeBackends('adapter checkpoints (PEFT layout)', () => {
  it('saves one folder per adapter with peft’s config fields and name-stripped keys', async () => {
    const m = model();
    const json = await saveAdapter(m, join(dir, 'comprehension'), 'comprehension');
    expect((await readdir(join(dir, 'comprehension'))).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const cfg = JSON.parse(await readFile(join(dir, 'comprehension', 'adapter_config.json'), 'utf8'));
    expect(cfg).toEqual(json);
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, lora_nums: 2, lora_dropout: 0, bias: 'none', adapter_kind: 'hlora', scaling_rule: 'lora_alpha * lora_nums / r', scaling: 4, use_rslora: false });
    expect(cfg.target_modules).toEqual(['down_proj', 'gate_up_proj', 'o_proj', 'qkv_proj']);
    const { tensors } = await loadSafetensors(join(dir, 'comprehension', 'adapter_model.safetensors'));
    const keys = [...tensors.keys()];
    expect(keys).toHaveLength(24);
    expect(keys).toContain('base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight');
    expect(keys).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_route.weight');
    expect(keys.some((k) => k.includes('comprehension'))).toBe(false);
    tensors.forEach((t) => t.dispose());
    m.dispose();
  });

  it('round-trips both task adapters into a fresh model, leaking nothing', async () => {
    const m = model();
    await saveAdapter(m, join(dir, 'c'), 'comprehension');
    await saveAdapter(m, join(dir, 'g'), 'generation');
    const fresh = new ToyLM(4, 2, 6).eval();
    const r1 = await loadAdapter(fresh, join(dir, 'c'), { name: 'comprehension' });
    expect(r1.injected).toHaveLength(8);
    expect(r1.loaded).toHaveLength(24);
    await loadAdapter(fresh, join(dir, 'g'), { name: 'generation' });
    await expectNoLeaks(() => loadAdapter(fresh, join(dir, 'g'), { name: 'generation' }), { what: 'loadAdapter' });
    for (const name of ['comprehension', 'generation']) {
      const a = adapterStateDict(m, name), b = adapterStateDict(fresh, name);
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [k, t] of a) expect(Array.from(b.get(k)!.dataSync())).toEqual(Array.from(t.dataSync()));
    }
    // Loading into an adapter that already exists overwrites it in place.
    const r2 = await loadAdapter(fresh, join(dir, 'c'), { name: 'comprehension' });
    expect(r2.injected).toEqual([]);
    await expectNoLeaks(() => saveAdapter(m, join(dir, 'c2'), 'comprehension'), { what: 'saveAdapter' });
    expect((await readdir(join(dir, 'c2'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    m.dispose();
    fresh.dispose();
  });

  it('loads strictly: every missing and unexpected key is listed', async () => {
    const m = model();
    const sd = adapterStateDict(m, 'comprehension');
    const partial = new Map([...sd].filter(([k]) => !k.includes('layers.1.mlp')));
    partial.set('base_model.model.model.layers.0.self_attn.qkv_proj.lora_C.weight', tf.zeros([1]));
    let err: unknown;
    try {
      loadAdapterStateDict(m, 'comprehension', partial);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AdapterStateError);
    const e = err as AdapterStateError;
    expect(e.missing).toHaveLength(6);
    expect(e.missing).toContain('base_model.model.model.layers.1.mlp.gate_up_proj.lora_route.weight');
    expect(e.unexpected).toEqual(['base_model.model.model.layers.0.self_attn.qkv_proj.lora_C.weight']);
    expect(e.message).toMatch(/missing keys: .*unexpected keys: base_model\.model\.model\.layers\.0\.self_attn\.qkv_proj\.lora_C\.weight/);
    const r = loadAdapterStateDict(m, 'comprehension', partial, { strict: false });
    expect(r.loaded).toHaveLength(18);
    partial.get('base_model.model.model.layers.0.self_attn.qkv_proj.lora_C.weight')!.dispose();
    m.dispose();
  });
});

describe('adapter checkpoint errors', () => {
  it('names the file and field of a bad adapter_config.json', async () => {
    const m = new ToyLM(4, 1, 6);
    const file = join(dir, 'adapter_config.json');
    await expect(loadAdapter(m, dir)).rejects.toMatchObject({ name: 'HLoraError', code: 'CHECKPOINT', file, detail: 'does not exist' });
    await writeFile(file, '{"r": 4');
    await expect(loadAdapter(m, dir)).rejects.toMatchObject({ code: 'CONFIG', file, line: 1, message: expect.stringMatching(/invalid JSON/) });
    await writeFile(file, JSON.stringify({ peft_type: 'LORA', r: 4, target_modules: ['qkv_proj'] }));
    await expect(loadAdapter(m, dir)).rejects.toMatchObject({ code: 'CONFIG', file, path: 'lora_alpha', message: expect.stringMatching(/'lora_alpha' is missing/) });
    await writeFile(file, JSON.stringify({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['qkv_proj'], adapter_kind: 'vera' }));
    await expect(loadAdapter(m, dir)).rejects.toThrow(HLoraError);
    m.dispose();
  });

  it('reports mismatched shapes with the file name, and removes the adapter it injected', async () => {
    const m = new ToyLM(4, 1, 6);
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['o_proj'] }));
    // As many numbers as the config needs (so the header check passes), in the wrong shapes.
    const a = tf.zeros([12, 2]), b = tf.zeros([4, 2]);
    await saveSafetensors(join(dir, 'adapter_model.safetensors'), new Map([['base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight', a], ['base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight', b]]));
    const before = m.namedParameters().map(([n]) => n);
    const tensors = tf.memory().numTensors;
    const err = await loadAdapter(m, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterStateError);
    expect(err).toBeInstanceOf(HLoraError);
    expect(err).toMatchObject({ code: 'STATE_DICT', file: join(dir, 'adapter_model.safetensors') });
    expect((err as AdapterStateError).mismatched).toEqual([{ key: 'base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight', expected: [2, 12], actual: [12, 2] }]);
    expect((err as Error).message).toMatch(/adapter 'default'.*shape mismatches: .*o_proj\.lora_A\.weight expected \[2,12\] got \[12,2\]/);
    // The adapter injected for the failed load is gone again: same parameters, same tensors.
    expect(m.namedParameters().map(([n]) => n)).toEqual(before);
    expect(adaptedLayers(m)).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([a, b]);
    m.dispose();
  });

  it('deleteAdapter removes one adapter, keeps the others, and unwraps layers left bare', () => {
    const m = model(); // 'comprehension' on every projection, 'generation' on qkv_proj
    const tensors = tf.memory().numTensors;
    expect(deleteAdapter(m, 'comprehension')).toHaveLength(8);
    expect(m.namedParameters().some(([n]) => n.includes('.comprehension.'))).toBe(false);
    // qkv_proj keeps 'generation' (now active); the other layers are plain Linear again.
    expect(adaptedLayers(m).map(([p, l]) => `${p}:${l.adapterNames()}:${l.activeAdapter}`)).toEqual([
      'model.layers.0.self_attn.qkv_proj:generation:generation',
      'model.layers.1.self_attn.qkv_proj:generation:generation',
    ]);
    expect(tf.memory().numTensors).toBeLessThan(tensors);
    expect(() => deleteAdapter(m, 'comprehension')).toThrow(/no layer holds an adapter 'comprehension'/);
    const x = tf.ones([2, 4]);
    expect(() => m.forward(x).dispose()).not.toThrow();
    x.dispose();
    m.dispose();
  });
});
