import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, saveSafetensors, readSafetensorsHeader, normal, Generator, FolderReader, FolderWriter, type Tensor } from '@healthgpt/tensor-core';
import { expectClose, expectNoLeaks, loadGolden, ioTensor, disposeDeep, type Golden } from '@healthgpt/testing';
import { CLIPVisionModel } from './clip_vision_model.js';
import { VisionEncoderError } from '../errors.js';

describe('CLIPVisionModel checkpoints (fromPretrained / savePretrained)', () => {
  let dir: string;
  let g: Golden;
  const vision = () => g.config.vision_config as Record<string, unknown>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vision-encoder-'));
    g = await loadGolden('clip_vision_tiny');
  });

  afterAll(() => {
    g.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A full CLIPModel folder: both towers, projections, logit_scale and a position_ids buffer. */
  async function writeFullClip(sub: string, extra: Record<string, Tensor> = {}, drop?: string): Promise<string> {
    const folder = join(dir, sub);
    const tensors = new Map<string, Tensor>(g.weights);
    if (drop) tensors.delete(drop);
    const made = {
      'text_model.embeddings.token_embedding.weight': tf.zeros([10, 8]),
      'text_model.final_layer_norm.weight': tf.ones([8]),
      'visual_projection.weight': tf.zeros([8, 48]),
      'text_projection.weight': tf.zeros([8, 8]),
      logit_scale: tf.scalar(2.6592),
      'vision_model.embeddings.position_ids': tf.range(0, 17, 1, 'int32').reshape([1, 17]),
      ...extra,
    };
    for (const [k, t] of Object.entries(made)) tensors.set(k, t);
    await saveSafetensors(join(folder, 'model.safetensors'), tensors, { format: 'pt' });
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'clip', vision_config: vision(), text_config: { hidden_size: 8 } }));
    tf.dispose(Object.values(made));
    return folder;
  }

  it('loads a full CLIP file strictly, ignoring text_model.*, projections, logit_scale and position_ids', async () => {
    const folder = await writeFullClip('full');
    const m = await CLIPVisionModel.fromPretrained(folder);
    expect(m.training).toBe(false);
    const out = m.forward(ioTensor(g, 'pixel_values'));
    expectClose(out.lastHiddenState, ioTensor(g, 'last_hidden_state'), { atol: 1e-5 }, 'last_hidden_state after load');
    disposeDeep(out);
    m.dispose();
  });

  it('savePretrained writes config.json + model.safetensors atomically, and they load back identically', async () => {
    const m = new CLIPVisionModel(vision(), { seed: 11 });
    const folder = join(dir, 'saved');
    await m.savePretrained(folder);
    expect(readdirSync(folder).sort()).toEqual(['config.json', 'model.safetensors']);
    const cfg = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ architectures: ['CLIPVisionModel'], model_type: 'clip_vision_model', hidden_size: 48, patch_size: 8, hidden_act: 'quick_gelu' });
    const header = await readSafetensorsHeader(join(folder, 'model.safetensors'));
    expect([...header.tensors.keys()]).toEqual(m.namedParameters().map(([k]) => k));
    expect(header.tensors.get('vision_model.embeddings.patch_embedding.weight')!.shape).toEqual([48, 3, 8, 8]);
    const back = await CLIPVisionModel.fromPretrained(folder);
    const [sa, sb] = [m.stateDict(), back.stateDict()];
    for (const [k, t] of sa) expect(Array.from(sb.get(k)!.dataSync()), k).toEqual(Array.from(t.dataSync()));
    m.dispose();
    back.dispose();
  });

  it('reads a sharded checkpoint through model.safetensors.index.json', async () => {
    const folder = join(dir, 'sharded');
    const keys = [...g.weights.keys()];
    const half = Math.floor(keys.length / 2);
    const shards = [keys.slice(0, half), keys.slice(half)];
    const weightMap: Record<string, string> = {};
    for (const [i, ks] of shards.entries()) {
      const name = `model-0000${i + 1}-of-00002.safetensors`;
      await saveSafetensors(join(folder, name), new Map(ks.map((k) => [k, g.weights.get(k)!])));
      for (const k of ks) weightMap[k] = name;
    }
    writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    writeFileSync(join(folder, 'config.json'), JSON.stringify(vision()));
    const m = await CLIPVisionModel.fromPretrained(folder);
    expect(m.numParameters()).toBe([...g.weights.values()].reduce((n, t) => n + t.size, 0));
    m.dispose();
  });

  it('loads a float16 checkpoint (as HF often ships them) into float32 parameters', async () => {
    const folder = join(dir, 'fp16');
    const dtypes = Object.fromEntries([...g.weights.keys()].map((k) => [k, 'F16' as const]));
    await saveSafetensors(join(folder, 'model.safetensors'), g.weights, { format: 'pt' }, { dtypes });
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...vision(), torch_dtype: 'float16' }));
    const m = await CLIPVisionModel.fromPretrained(folder);
    const w = m.stateDict().get('vision_model.encoder.layers.0.mlp.fc1.weight')!;
    expect(w.dtype).toBe('float32');
    expectClose(w, g.weights.get('vision_model.encoder.layers.0.mlp.fc1.weight')!, { atol: 1e-3, rtol: 1e-3 }, 'fp16 weight');
    m.dispose();
  });

  it('an unexpected vision key is an error that names it', async () => {
    const extra = tf.zeros([4]);
    const folder = await writeFullClip('unexpected', { 'vision_model.encoder.layers.3.layer_norm1.weight': extra });
    extra.dispose();
    await expect(CLIPVisionModel.fromPretrained(folder)).rejects.toThrow(VisionEncoderError);
    await expect(CLIPVisionModel.fromPretrained(folder)).rejects.toThrow(/unexpected keys: vision_model\.encoder\.layers\.3\.layer_norm1\.weight/);
  });

  it('a missing key, a wrong shape, a missing config or bad JSON are errors that name the key or file', async () => {
    const missing = await writeFullClip('missing', {}, 'vision_model.post_layernorm.bias');
    await expect(CLIPVisionModel.fromPretrained(missing)).rejects.toMatchObject({ code: 'STATE_DICT', key: 'vision_model.post_layernorm.bias', message: expect.stringMatching(/missing keys: vision_model\.post_layernorm\.bias/) });
    const wrong = tf.zeros([48, 3, 4, 4]);
    const shaped = await writeFullClip('shape', { 'vision_model.embeddings.patch_embedding.weight': wrong });
    wrong.dispose();
    await expect(CLIPVisionModel.fromPretrained(shaped)).rejects.toThrow(/patch_embedding\.weight expected \[48,3,8,8\] got \[48,3,4,4\]/);
    await expect(CLIPVisionModel.fromPretrained(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'CHECKPOINT', file: join(dir, 'nowhere'), detail: 'folder does not exist' });
    writeFileSync(join(shaped, 'model.safetensors'), new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 123]));
    await expect(CLIPVisionModel.fromPretrained(shaped)).rejects.toMatchObject({ code: 'CHECKPOINT', file: join(shaped, 'model.safetensors'), detail: expect.stringMatching(/^header is not valid UTF-8 JSON/) });
    writeFileSync(join(missing, 'config.json'), '{ not json');
    await expect(CLIPVisionModel.fromPretrained(missing)).rejects.toMatchObject({ code: 'CONFIG', file: join(missing, 'config.json'), line: 1, detail: expect.stringMatching(/^invalid JSON at column 3/) });
  });

  it('loading leaks no tensors, also when it fails', async () => {
    const ok = await writeFullClip('leak-ok');
    await expectNoLeaks(async () => (await CLIPVisionModel.fromPretrained(ok)).dispose(), { what: 'fromPretrained' });
    const bad = await writeFullClip('leak-bad', {}, 'vision_model.pre_layrnorm.weight');
    await expectNoLeaks(async () => {
      await CLIPVisionModel.fromPretrained(bad).catch(() => undefined);
    }, { what: 'failed fromPretrained' });
    const m = new CLIPVisionModel(vision(), { gen: new Generator(1) });
    await expectNoLeaks(() => m.savePretrained(join(dir, 'leak-save')), { what: 'savePretrained' });
    m.dispose();
  });

  it('loadWeights with a prefix reads a LLaVA-style namespace and skips the rest', () => {
    const prefixed = new Map<string, Tensor>();
    for (const [k, t] of g.weights) prefixed.set(`model.vision_tower.vision_tower.${k}`, t);
    const other = normal([3], 0, 1);
    prefixed.set('model.layers.0.mlp.down_proj.weight', other);
    const m = new CLIPVisionModel(vision(), { seed: 1 });
    m.loadWeights(prefixed, { prefix: 'model.vision_tower.vision_tower.' });
    expect(Array.from(m.stateDict().get('vision_model.post_layernorm.bias')!.dataSync())).toEqual(Array.from(g.weights.get('vision_model.post_layernorm.bias')!.dataSync()));
    other.dispose();
    m.dispose();
  });

  it('header before allocation: 10⁶ layers or a 4·10⁶-wide tower beside a small file are refused without building anything', async () => {
    const folder = await writeFullClip('huge');
    for (const [over, re] of [
      [{ num_hidden_layers: 1_000_000 }, /implies \d+ parameters in more than \d+ tensors for the CLIP vision tower, but the checkpoint holds \d+ tensors/],
      [{ hidden_size: 4_000_000, intermediate_size: 4_000_000, num_attention_heads: 1 }, /shape mismatches: .* expected \[4000000\]|a tensor can hold/],
    ] as const) {
      writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...vision(), ...over }));
      await expectNoLeaks(async () => {
        // A bound far above this machine's memory: the headers alone refuse these configs.
        await expect(CLIPVisionModel.fromPretrained(folder, { maxParameters: 1e15 })).rejects.toThrow(expect.objectContaining({ name: 'VisionEncoderError', message: expect.stringMatching(re) }));
      }, { what: 'a refused fromPretrained' });
    }
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'clip', vision_config: { ...vision(), hidden_size: '48' } }));
    await expect(CLIPVisionModel.fromPretrained(folder)).rejects.toMatchObject({ code: 'CONFIG', path: 'vision_config.hidden_size', file: join(folder, 'config.json') });
  });

  it('shard indexes pointing outside the folder, or at a FIFO, are refused', async () => {
    const folder = join(dir, 'hostile');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'config.json'), JSON.stringify(vision()));
    await saveSafetensors(join(dir, 'elsewhere.safetensors'), g.weights);
    const index = (file: string) => writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ weight_map: Object.fromEntries([...g.weights.keys()].map((k) => [k, file])) }));
    for (const bad of ['../elsewhere.safetensors', join(dir, 'elsewhere.safetensors')]) {
      index(bad);
      await expect(CLIPVisionModel.fromPretrained(folder)).rejects.toMatchObject({ name: 'VisionEncoderError', code: 'CHECKPOINT', detail: expect.stringMatching(/is not a plain '\*\.safetensors' file name/) });
    }
    index('pipe.safetensors');
    execFileSync('mkfifo', [join(folder, 'pipe.safetensors')]);
    await expect(CLIPVisionModel.fromPretrained(folder)).rejects.toMatchObject({ code: 'CHECKPOINT', detail: expect.stringMatching(/is a FIFO/) });
  });

  it('reads a LLaVA-style prefixed folder, and saves as part of a bigger save', async () => {
    const folder = join(dir, 'llava');
    const prefixed = new Map<string, Tensor>([...g.weights].map(([k, t]) => [`model.vision_tower.vision_tower.${k}`, t]));
    await saveSafetensors(join(folder, 'model.safetensors'), prefixed);
    writeFileSync(join(folder, 'config.json'), JSON.stringify(vision()));
    const m = await CLIPVisionModel.fromPretrained(folder, { prefix: 'model.vision_tower.vision_tower.' });
    const w = await FolderWriter.open(join(dir, 'assembled'));
    await m.savePretrained(w.sub('vision_tower'));
    await w.commit();
    const back = await CLIPVisionModel.fromPretrained((await FolderReader.open(join(dir, 'assembled'))).sub('vision_tower'));
    expect(Array.from(back.stateDict().get('vision_model.post_layernorm.bias')!.dataSync())).toEqual(Array.from(g.weights.get('vision_model.post_layernorm.bias')!.dataSync()));
    [m, back].forEach((x) => x.dispose());
  });
});
