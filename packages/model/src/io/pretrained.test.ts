import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, readSafetensorsHeader, saveSafetensors, loadSafetensors, FolderReader, FolderWriter, type Tensor } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { HealthGPT, ModelError, RELEASE_PREFIX, RELEASE_PROJECTOR, type HealthGPTBatch } from '../index.js';
import { tinyModel, image, comprehensionSample, generationSample, perturbPlugins } from '../../test/tiny.test_util.js';

describe('savePretrained / fromPretrained', () => {
  const root = mkdtempSync(join(tmpdir(), 'healthgpt-io-'));
  const dir = join(root, 'model');
  let model: HealthGPT;
  let batch: HealthGPTBatch;
  const logits = (m: HealthGPT) => {
    const out = m.forward(batch);
    const v = Array.from(out.logits.dataSync());
    tf.dispose([out.logits, out.loss!]);
    return v;
  };
  beforeAll(async () => {
    model = tinyModel(9);
    perturbPlugins(model, 5);
    const p = model.processor;
    batch = p.collate([p.encodeSample(comprehensionSample('c', 'Which organ?', 'The liver.'), [image(40, 30)]), p.encodeSample(generationSample('g', 'Reconstruct this image.'), [image(32, 32, 3, 1)], image(32, 32, 3, 2))]);
    await model.savePretrained(dir);
  });
  afterAll(() => {
    model.dispose();
    batch.pixelValues?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes one folder: config, base weights, a PEFT folder per plugin with the release’s keys, vq, tokenizer', async () => {
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'plugins', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'vq'].filter((f) => f !== 'tokenizer_config.json' || existsSync(join(dir, f))));
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).model_type).toBe('healthgpt');
    expect(readdirSync(join(dir, 'plugins')).sort()).toEqual(['comprehension', 'generation']);
    const keys = [...(await readSafetensorsHeader(join(dir, 'plugins', 'generation', 'adapter_model.safetensors'))).tensors.keys()];
    expect(keys).toContain('base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight');
    expect(keys.every((k) => /^base_model\.model\.model\.layers\.\d+\.(self_attn|mlp)\.\w+\.lora_(A|B|route)\.weight$/.test(k))).toBe(true);
    const base = [...(await readSafetensorsHeader(join(dir, 'model.safetensors'))).tensors.keys()];
    expect(base).toContain('model.vision_tower.vision_tower.vision_model.embeddings.patch_embedding.weight');
    expect(base).toContain('model.gen_mm_projector.2.bias');
    expect(base.some((k) => k.includes('lora_'))).toBe(false);
    expect(readdirSync(root)).toEqual(['model']); // no temporary folders left
  });

  it('loads back to bit-identical logits for both plugins, the same tokenizer and VQ tokenizer', async () => {
    const back = await HealthGPT.fromPretrained(dir);
    expect(logits(back)).toEqual(logits(model));
    expect(back.tokenizer!.encode('Which organ?')).toEqual(model.tokenizer!.encode('Which organ?'));
    expect(back.generateImage(image(32, 32), 'Reconstruct this image.').codes).toEqual(model.generateImage(image(32, 32), 'Reconstruct this image.').codes);
    back.dispose();
  });

  it('replaces an existing folder whole on a second save', async () => {
    const other = tinyModel(10);
    await other.savePretrained(dir);
    const back = await HealthGPT.fromPretrained(dir);
    expect(logits(back)).toEqual(logits(other));
    expect(readdirSync(root)).toEqual(['model']);
    [back, other].forEach((m) => m.dispose());
    await model.savePretrained(dir);
  });

  it('refuses a folder whose parts disagree, listing what, and leaks nothing doing so', async () => {
    const bad = join(root, 'bad');
    await model.savePretrained(bad);
    const cfgFile = join(bad, 'plugins', 'comprehension', 'adapter_config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, lora_alpha: cfg.lora_alpha * 2 }));
    await expect(HealthGPT.fromPretrained(bad)).rejects.toThrow(/plugin 'comprehension': adapter_config.json says hlora r=16 alpha=64/);
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const { tensors } = await loadSafetensors(join(bad, 'model.safetensors'));
    tensors.get('model.norm.weight')!.dispose();
    tensors.delete('model.norm.weight');
    await saveSafetensors(join(bad, 'model.safetensors'), tensors);
    tensors.forEach((t) => t.dispose());
    const err = await HealthGPT.fromPretrained(bad).catch((e) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ code: 'CHECKPOINT', key: 'model.norm.weight' });
    await expectNoLeaks(async () => {
      await HealthGPT.fromPretrained(bad).catch(() => undefined);
    }, { what: 'failed fromPretrained' });
    await expect(HealthGPT.fromPretrained(join(root, 'absent'))).rejects.toMatchObject({ code: 'CHECKPOINT' });
  });

  it('loads and disposes without leaking', async () => {
    await expectNoLeaks(async () => {
      (await HealthGPT.fromPretrained(dir)).dispose();
    }, { what: 'fromPretrained + dispose' });
  });

  it('saves the base weights sharded and back to one file (stale shards removed), each loading to the same logits', async () => {
    const sharded = join(root, 'sharded');
    await model.savePretrained(sharded, { maxShardBytes: 400_000 });
    const shards = readdirSync(sharded).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(1);
    expect(existsSync(join(sharded, 'model.safetensors'))).toBe(false);
    const back = await HealthGPT.fromPretrained(sharded);
    expect(logits(back)).toEqual(logits(model));
    back.dispose();
    await model.savePretrained(sharded);
    expect(readdirSync(sharded).filter((f) => f.startsWith('model'))).toEqual(['model.safetensors']);
    rmSync(sharded, { recursive: true, force: true });
  });

  it('stages into a bigger folder save (nothing visible before its commit) and loads from a sub-folder reader', async () => {
    const outer = join(root, 'outer');
    const w = await FolderWriter.open(outer);
    await model.savePretrained(w.sub('healthgpt'));
    await w.json('run.json', { step: 3 });
    expect(existsSync(join(outer, 'healthgpt', 'config.json'))).toBe(false);
    await w.commit();
    const back = await HealthGPT.fromPretrained((await FolderReader.open(outer)).sub('healthgpt'));
    expect(logits(back)).toEqual(logits(model));
    back.dispose();
    rmSync(outer, { recursive: true, force: true });
  });

  it('checks the headers before building: a parameter bound or a mis-shaped key fails with nothing allocated', async () => {
    await expectNoLeaks(async () => {
      const err = await HealthGPT.fromPretrained(dir, { maxParameters: 1000 }).catch((e) => e);
      expect(err).toBeInstanceOf(ModelError);
      expect(err).toMatchObject({ code: 'CHECKPOINT', file: join(dir, 'config.json') });
      expect(err.message).toMatch(/parameters for the HealthGPT model, more than the bound of 1000/);
    }, { what: 'fromPretrained over the parameter bound' });
    const bad = join(root, 'shape');
    await model.savePretrained(bad);
    const cfgFile = join(bad, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.text_config.intermediate_size += 8;
    writeFileSync(cfgFile, JSON.stringify(cfg));
    await expectNoLeaks(async () => {
      const err = await HealthGPT.fromPretrained(bad).catch((e) => e);
      expect(err).toMatchObject({ code: 'CHECKPOINT', key: 'model.layers.0.mlp.gate_up_proj.weight' });
      expect(err.message).toMatch(/shape mismatches: model\.layers\.0\.mlp\.gate_up_proj\.weight expected \[\d+,\d+\] got/);
    }, { what: 'fromPretrained of mis-shaped weights' });
    rmSync(bad, { recursive: true, force: true });
  });

  it('refuses to save an int8 model', async () => {
    const q = await HealthGPT.fromPretrained(dir, { quantize: 'int8' });
    await expect(q.savePretrained(join(root, 'q'))).rejects.toMatchObject({ code: 'QUANTIZED' });
    q.dispose();
  });
});

describe('the release layout', () => {
  const root = mkdtempSync(join(tmpdir(), 'healthgpt-release-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a saved model exports to the release’s files and imports back through the release key map', async () => {
    const model = tinyModel(12);
    perturbPlugins(model, 8);
    const files = await model.saveRelease(join(root, 'release'));
    const com = [...(await readSafetensorsHeader(files.plugins.comprehension)).tensors.keys()];
    expect(com).toContain('base_model.model.model.mm_projector.0.weight');
    expect(com).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_route.weight');
    const gen = [...(await readSafetensorsHeader(files.plugins.generation)).tensors.keys()];
    expect(gen).toContain('base_model.model.model.mm_projector.2.bias'); // the release names each task's projector so
    expect(files.plugins.comprehension).toMatch(/com_hlora_weights\.safetensors$/);
    const back = await HealthGPT.fromRelease(files);
    const p = model.processor;
    const batch = p.collate([p.encodeSample(comprehensionSample('c', 'Which organ?', 'The liver.'), [image(20, 30)]), p.encodeSample(generationSample('g', 'Convert this CT to MRI.'), [image(32, 32)], image(32, 32, 3, 6))]);
    const a = model.forward(batch);
    const b = back.forward(batch);
    expect(Array.from(b.logits.dataSync())).toEqual(Array.from(a.logits.dataSync()));
    expect(back.config.imageTokens).toEqual(model.config.imageTokens);
    tf.dispose([a.logits, a.loss!, b.logits, b.loss!, batch.pixelValues!]);
    await expectNoLeaks(async () => {
      (await HealthGPT.fromRelease(files)).dispose();
    }, { what: 'fromRelease + dispose' });
    const { tensors } = await loadSafetensors(files.plugins.comprehension);
    const gone = 'base_model.model.model.layers.1.mlp.down_proj.lora_A.weight';
    tensors.get(gone)!.dispose();
    tensors.delete(gone);
    const partial = join(root, 'partial.safetensors');
    await saveSafetensors(partial, tensors);
    tensors.forEach((t) => t.dispose());
    await expectNoLeaks(async () => {
      await expect(HealthGPT.fromRelease({ ...files, plugins: { ...files.plugins, comprehension: partial } })).rejects.toThrow(new RegExp(`missing keys: ${gone.replaceAll('.', '\\.')}`));
    }, { what: 'failed fromRelease' });
    [model, back].forEach((m) => m.dispose());
  });

  it('each PEFT plugin folder plus its projector is exactly a release plugin file, and imports back to identical logits', async () => {
    const model = tinyModel(31);
    perturbPlugins(model, 6);
    await model.savePretrained(join(root, 'ours'));
    const files = await model.saveRelease(join(root, 'release-overlap'));
    const { tensors: base } = await loadSafetensors(join(root, 'ours', 'model.safetensors'));
    const plugins: Record<string, string> = {};
    for (const task of model.tasks) {
      // Where the layouts overlap: the PEFT adapter file as saved, plus the task's projector under the release's one name.
      const { tensors } = await loadSafetensors(join(root, 'ours', 'plugins', task, 'adapter_model.safetensors'));
      const projector = `model.${model.config.tasks.get(task)!.projector}.`;
      for (const [k, t] of base) if (k.startsWith(projector)) tensors.set(`${RELEASE_PREFIX}${RELEASE_PROJECTOR}.${k.slice(projector.length)}`, t);
      plugins[task] = join(root, `${task}_from_ours.safetensors`);
      await saveSafetensors(plugins[task], tensors);
      const ours = [...tensors.keys()].sort();
      const release = [...(await readSafetensorsHeader(files.plugins[task])).tensors.keys()].sort();
      expect(ours).toEqual(release);
      tensors.forEach((t, k) => (k.startsWith(`${RELEASE_PREFIX}${RELEASE_PROJECTOR}.`) ? undefined : t.dispose()));
    }
    base.forEach((t: Tensor) => t.dispose());
    const back = await HealthGPT.fromRelease({ ...files, plugins });
    const p = model.processor;
    const batch = p.collate([p.encodeSample(comprehensionSample('c', 'Which organ?', 'The liver.'), [image(24, 30)]), p.encodeSample(generationSample('g', 'Reconstruct this image.'), [image(32, 32)], image(32, 32, 3, 4))]);
    const a = model.forward(batch);
    const b = back.forward(batch);
    expect(Array.from(b.logits.dataSync())).toEqual(Array.from(a.logits.dataSync()));
    tf.dispose([a.logits, a.loss!, b.logits, b.loss!, batch.pixelValues!]);
    [model, back].forEach((m) => m.dispose());
  });
});
