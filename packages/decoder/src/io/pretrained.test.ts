import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tf, saveSafetensors, FolderWriter, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks, loadGolden, generatorFailingAfter } from '@healthgpt/testing';
import { DecoderLM, DecoderError, disposeCache, type DecoderLMOptions } from '../index.js';
import { tinyConfig } from '../configs.test_util.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'decoder-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const logitsOf = (m: DecoderLM) => {
  const out = m.forward({ inputIds: [[1, 5, 7, 9]], useCache: false });
  return out.logits;
};

describeBackends('fromPretrained / savePretrained', () => {
  it('round-trips one file and shards (index), and loads without leaking', async () => {
    const m = new DecoderLM(tinyConfig('qwen2'), { seed: 12 });
    const ref = logitsOf(m);
    await m.savePretrained(dir);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'qwen2', vocab_size: 48 });
    const back = await DecoderLM.fromPretrained(dir);
    expectClose(logitsOf(back), ref, { atol: 0 }, 'single file');
    await m.savePretrained(dir, { maxShardBytes: 8000 });
    const files = readdirSync(dir).sort();
    expect(files).toContain('model.safetensors.index.json');
    expect(files).not.toContain('model.safetensors');
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(2);
    const sharded = await DecoderLM.fromPretrained(dir);
    expectClose(logitsOf(sharded), ref, { atol: 0 }, 'sharded');
    await m.savePretrained(dir);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']); // stale shards removed
    await expectNoLeaks(async () => (await DecoderLM.fromPretrained(dir)).dispose(), { what: 'fromPretrained' });
    [m, back, sharded].forEach((x) => x.dispose());
    ref.dispose();
  });

  it('loads the phi3_tiny fixture by its HF names', async () => {
    const g = await loadGolden('phi3_tiny');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(g.config));
    await saveSafetensors(join(dir, 'model.safetensors'), g.weights);
    const m = await DecoderLM.fromPretrained(dir);
    const out = m.forward({ inputIds: g.io.get('input_ids')!.slice([0, 0], [1, 12]) });
    expectClose(out.logits, g.io.get('logits')!.slice([0, 0, 0], [1, 12, 320]), { atol: 1e-4 }, 'fixture logits');
    out.logits.dispose();
    disposeCache(out.pastKeyValues);
    m.dispose();
    g.dispose();
  });
});

describe('fromPretrained strictness', () => {
  it('lists missing and unexpected keys, and checks shards against the index', async () => {
    const m = new DecoderLM(tinyConfig('phi3'));
    await m.savePretrained(dir);
    const sd = new Map<string, Tensor>(m.stateDict());
    sd.delete('model.norm.weight');
    const extra = tf.zeros([2]);
    sd.set('model.rotary_emb.inv_freq', extra);
    await saveSafetensors(join(dir, 'model.safetensors'), sd);
    await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(/missing keys: model\.norm\.weight; unexpected keys: model\.rotary_emb\.inv_freq/);
    await m.savePretrained(dir, { maxShardBytes: 8000 });
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    index.weight_map['lm_head.weight'] = 'model-00001-of-00002.safetensors';
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(expect.objectContaining({ name: 'DecoderError', code: 'CHECKPOINT' }));
    rmSync(join(dir, 'model.safetensors.index.json'));
    await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(/neither model\.safetensors nor model\.safetensors\.index\.json/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...tinyConfig('phi3'), model_type: 'llama' }));
    await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(/'model_type' must be "phi3" or "qwen2"/);
    extra.dispose();
    m.dispose();
  });

  it('skips a redundant lm_head.weight in a tied checkpoint', async () => {
    const m = new DecoderLM(tinyConfig('qwen2', { tie_word_embeddings: true }));
    await m.savePretrained(dir);
    const sd = new Map<string, Tensor>(m.stateDict());
    sd.set('lm_head.weight', m.embedWeight);
    await saveSafetensors(join(dir, 'model.safetensors'), sd);
    const back = await DecoderLM.fromPretrained(dir);
    expect(back.namedParameters().map(([k]) => k)).not.toContain('lm_head.weight');
    [m, back].forEach((x) => x.dispose());
  });
});

describe('hostile and careless model folders', () => {
  const small = () => new DecoderLM(tinyConfig('phi3'));
  const failsWith = async (code: string, re: RegExp, options: DecoderLMOptions = {}) => {
    let err: unknown;
    await expectNoLeaks(async () => {
      err = await DecoderLM.fromPretrained(dir, options).then(
        (m) => m.dispose(),
        (e: unknown) => e,
      );
    }, { what: 'a refused fromPretrained' });
    expect(err).toBeInstanceOf(DecoderError);
    expect((err as DecoderError).code).toBe(code);
    expect((err as Error).message).toMatch(re);
    return err as DecoderError;
  };

  it('configs promising 10⁶ layers or a 4·10⁶ vocabulary beside a small file are refused before anything is built', async () => {
    const m = small();
    await m.savePretrained(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(tinyConfig('phi3', { num_hidden_layers: 1_000_000 })));
    // A bound far above this machine's memory: the headers alone refuse the config.
    await failsWith('CHECKPOINT', /implies \d+ parameters in more than \d+ tensors for the decoder, but the checkpoint holds 15 tensors with 5456 parameters/, { maxParameters: 1e15 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(tinyConfig('phi3', { vocab_size: 4_000_000, hidden_size: 3072, num_attention_heads: 32, num_key_value_heads: 32 })));
    await failsWith('CONFIG', /tensor 'model\.embed_tokens\.weight' of shape \[4000000, 3072\] has 12288000000 elements, more than the 2147483647 a tensor can hold/, { maxParameters: 1e15 });
    await failsWith('CONFIG', /implies 24\d{9} parameters for the decoder, more than the bound of 1000000000/, { maxParameters: 1e9 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(tinyConfig('phi3', { hidden_size: 1e12 })));
    await failsWith('CONFIG', /'hidden_size' must be ≤ 2147483647, got 1000000000000/);
    m.dispose();
  });

  it('wrongly typed config fields are CONFIG errors naming the file and field', async () => {
    const m = small();
    await m.savePretrained(dir);
    for (const [over, path] of [
      [{ tie_word_embeddings: 'false' }, 'tie_word_embeddings'],
      [{ rms_norm_eps: true }, 'rms_norm_eps'],
      [{ eos_token_id: '248' }, 'eos_token_id'],
    ] as const) {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...tinyConfig('phi3'), ...over }));
      const e = await failsWith('CONFIG', new RegExp(path));
      expect([e.file, e.path]).toEqual([join(dir, 'config.json'), path]);
    }
    writeFileSync(join(dir, 'config.json'), 'null');
    await failsWith('CONFIG', /must be a JSON object, got null/);
    writeFileSync(join(dir, 'config.json'), '{"model_type": "phi3",\n "vocab_size": }');
    expect((await failsWith('CONFIG', /invalid JSON/)).line).toBe(2);
    m.dispose();
  });

  it('shard indexes pointing outside the folder (../x, absolute, a FIFO, a link out) are refused without reading them', async () => {
    const m = small();
    await m.savePretrained(dir, { maxShardBytes: 8000 });
    const indexFile = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexFile, 'utf8'));
    const outside = mkdtempSync(join(tmpdir(), 'decoder-out-'));
    try {
      const first = index.weight_map['model.embed_tokens.weight'];
      copyFileSync(join(dir, first), join(outside, first));
      for (const target of [`../${outside.split('/').pop()}/${first}`, join(outside, first), 'non-string']) {
        const wm = { ...index.weight_map };
        for (const k of Object.keys(wm)) if (wm[k] === first) wm[k] = target === 'non-string' ? 7 : target;
        writeFileSync(indexFile, JSON.stringify({ ...index, weight_map: wm }));
        await failsWith(target === 'non-string' ? 'CONFIG' : 'CHECKPOINT', target === 'non-string' ? /'weight_map\..*' must be a string, got 7/ : /is not a plain '\*\.safetensors' file name/);
      }
      writeFileSync(indexFile, JSON.stringify(index));
      rmSync(join(dir, first));
      symlinkSync(join(outside, first), join(dir, first));
      await failsWith('CHECKPOINT', /symbolic link to .*outside the folder/);
      rmSync(join(dir, first));
      execFileSync('mkfifo', [join(dir, first)]);
      await failsWith('CHECKPOINT', /is a FIFO; only regular files are read/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
    m.dispose();
  });

  it('a construction that fails part-way leaks nothing; one too large is refused before allocating', async () => {
    await expectNoLeaks(() => {
      expect(() => new DecoderLM(tinyConfig('qwen2'), { gen: generatorFailingAfter(2000) })).toThrow('generator exhausted');
    }, { what: 'a DecoderLM construction failing part-way' });
    await expectNoLeaks(() => {
      expect(() => new DecoderLM(tinyConfig('phi3', { vocab_size: 4_000_000, hidden_size: 3072, num_attention_heads: 32, num_key_value_heads: 32 }))).toThrow(
        expect.objectContaining({ name: 'DecoderError' }),
      );
      expect(() => new DecoderLM(tinyConfig('phi3'), { maxParameters: 100 })).toThrow(/more than the bound of 100/);
    }, { what: 'refused constructions' });
  });

  it('savePretrained commits config and weights together: a kill-free failure leaves the old folder', async () => {
    const a = new DecoderLM(tinyConfig('phi3', { rope_theta: 10000 }), { seed: 1 });
    await a.savePretrained(dir);
    const before = readFileSync(join(dir, 'model.safetensors'));
    const w = await FolderWriter.open(dir);
    const b = new DecoderLM(tinyConfig('phi3', { rope_theta: 500000 }), { seed: 2 });
    await b.savePretrained(w);
    // Staged, not committed: the folder still loads as the old version.
    const old = await DecoderLM.fromPretrained(dir);
    expect(old.config.ropeTheta).toBe(10000);
    expect(Buffer.compare(readFileSync(join(dir, 'model.safetensors')), before)).toBe(0);
    await w.commit();
    const now = await DecoderLM.fromPretrained(dir);
    expect(now.config.ropeTheta).toBe(500000);
    [a, b, old, now].forEach((x) => x.dispose());
  });
});
