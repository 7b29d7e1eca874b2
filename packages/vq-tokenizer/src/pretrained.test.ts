import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tf, saveSafetensors, FolderReader, FolderWriter, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { VQTokenizer, VQTokenizerError } from './index.js';
import { tinyConfig } from './test_configs.test_util.js';
import { phantoms } from './phantoms.test_util.js';

describeBackends('fromPretrained / savePretrained', () => {
  let dir: string;
  let model: VQTokenizer;
  let x: Tensor;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vq-pretrained-'));
    model = new VQTokenizer(tinyConfig(), { seed: 3 });
    x = phantoms(1, { size: 16, seed: 2 });
    await model.savePretrained(join(dir, 'ok'));
  });
  afterAll(async () => {
    model.dispose();
    x.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips config and weights (same codes), writing only the two files', async () => {
    expect((await readdir(join(dir, 'ok'))).sort()).toEqual(['config.json', 'model.safetensors']);
    await expectNoLeaks(async () => {
      const loaded = await VQTokenizer.fromPretrained(join(dir, 'ok'));
      expect(loaded.config).toEqual(model.config);
      const a = model.encode(x);
      const b = loaded.encode(x);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      loaded.dispose();
      return [a, b];
    }, { what: 'fromPretrained + encode' });
  });

  it("ignores taming's loss.* keys but rejects other extra or missing keys, naming them and the file", async () => {
    const weights = new Map(model.stateDict());
    const extra = tf.zeros([2]);
    const write = async (name: string, tensors: Map<string, Tensor>) => {
      await model.savePretrained(join(dir, name));
      await saveSafetensors(join(dir, name, 'model.safetensors'), tensors);
    };
    await write('with-loss', new Map([...weights, ['loss.discriminator.main.0.weight', extra]]));
    (await VQTokenizer.fromPretrained(join(dir, 'with-loss'))).dispose();
    await write('with-extra', new Map([...weights, ['encoder.bogus', extra]]));
    await expect(VQTokenizer.fromPretrained(join(dir, 'with-extra'))).rejects.toThrow(/unexpected keys: encoder\.bogus/);
    const missing = new Map(weights);
    missing.delete('quantize.embed.weight');
    await write('missing', missing);
    const err = await VQTokenizer.fromPretrained(join(dir, 'missing')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VQTokenizerError);
    expect(err).toMatchObject({ code: 'STATE_DICT', file: join(dir, 'missing', 'model.safetensors') });
    expect(String((err as Error).message)).toMatch(/missing keys: quantize\.embed\.weight/);
    extra.dispose();
  });

  it('reports a bad config.json with the file name', async () => {
    await model.savePretrained(join(dir, 'bad-config'));
    await writeFile(join(dir, 'bad-config', 'config.json'), JSON.stringify({ ...model.config, embed_dim: 3 }));
    await expect(VQTokenizer.fromPretrained(join(dir, 'bad-config'))).rejects.toMatchObject({ code: 'CONFIG', file: join(dir, 'bad-config', 'config.json'), path: 'embed_dim' });
    await expect(VQTokenizer.fromPretrained(join(dir, 'nope'))).rejects.toMatchObject({ name: 'VQTokenizerError', code: 'CHECKPOINT' });
  });

  it('header before allocation: 10⁶ res blocks or a 4·10⁶ codebook beside a small file are refused without building', async () => {
    await model.savePretrained(join(dir, 'huge'));
    for (const [over, re] of [
      [{ ddconfig: { ...model.config.ddconfig, num_res_blocks: 1_000_000 } }, /implies \d+ parameters in more than \d+ tensors for the VQ tokenizer/],
      [{ n_embed: 4_000_000 }, /shape mismatches: quantize\.proj\.weight expected \[4000000,8,1,1\]/],
    ] as const) {
      await writeFile(join(dir, 'huge', 'config.json'), JSON.stringify({ ...model.config, ...over }));
      await expectNoLeaks(async () => {
        await expect(VQTokenizer.fromPretrained(join(dir, 'huge'), { maxParameters: 1e15 })).rejects.toThrow(expect.objectContaining({ name: 'VQTokenizerError', message: expect.stringMatching(re) }));
      }, { what: 'a refused fromPretrained' });
    }
    await writeFile(join(dir, 'huge', 'config.json'), JSON.stringify({ ...model.config, n_embed: '16' }));
    await expect(VQTokenizer.fromPretrained(join(dir, 'huge'))).rejects.toMatchObject({ code: 'CONFIG', path: 'n_embed', file: join(dir, 'huge', 'config.json') });
  });

  it('weights that are a FIFO or a link out of the folder are refused without blocking', async () => {
    await model.savePretrained(join(dir, 'fifo'));
    await rm(join(dir, 'fifo', 'model.safetensors'));
    execFileSync('mkfifo', [join(dir, 'fifo', 'model.safetensors')]);
    await expect(VQTokenizer.fromPretrained(join(dir, 'fifo'))).rejects.toMatchObject({ code: 'CHECKPOINT', detail: expect.stringMatching(/is a FIFO/) });
    await rm(join(dir, 'fifo', 'model.safetensors'));
    await symlink(join(dir, 'ok', 'model.safetensors'), join(dir, 'fifo', 'model.safetensors'));
    await expect(VQTokenizer.fromPretrained(join(dir, 'fifo'))).rejects.toMatchObject({ code: 'CHECKPOINT', detail: expect.stringMatching(/outside the folder/) });
  });

  it('saves as the sub-folder of a bigger save, committed with it', async () => {
    const w = await FolderWriter.open(join(dir, 'assembled'));
    await w.json('config.json', { model_type: 'healthgpt' });
    await model.savePretrained(w.sub('vq'));
    await w.commit();
    const back = await VQTokenizer.fromPretrained((await FolderReader.open(join(dir, 'assembled'))).sub('vq'));
    expect(back.config).toEqual(model.config);
    back.dispose();
  });
});
