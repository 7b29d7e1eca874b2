import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tf, saveSafetensors } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks, loadGolden } from '@healthgpt/testing';
import { DecoderLM, DecoderError, disposeCache } from '../index.js';
import { tinyConfig } from '../test_helpers.js';

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
    const sd = new Map(m.stateDict());
    sd.delete('model.norm.weight');
    const extra = tf.zeros([2]);
    sd.set('model.rotary_emb.inv_freq', extra);
    await saveSafetensors(join(dir, 'model.safetensors'), sd);
    await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(/missing keys: model\.norm\.weight; unexpected keys: model\.rotary_emb\.inv_freq/);
    await m.savePretrained(dir, { maxShardBytes: 8000 });
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    index.weight_map['lm_head.weight'] = 'model-00001-of-00002.safetensors';
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(DecoderError);
    rmSync(join(dir, 'model.safetensors.index.json'));
    await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(/neither model\.safetensors nor/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...tinyConfig('phi3'), model_type: 'llama' }));
    await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(/'model_type' must be 'phi3' or 'qwen2'/);
    extra.dispose();
    m.dispose();
  });

  it('skips a redundant lm_head.weight in a tied checkpoint', async () => {
    const m = new DecoderLM(tinyConfig('qwen2', { tie_word_embeddings: true }));
    await m.savePretrained(dir);
    const sd = new Map(m.stateDict());
    sd.set('lm_head.weight', m.embedWeight);
    await saveSafetensors(join(dir, 'model.safetensors'), sd);
    const back = await DecoderLM.fromPretrained(dir);
    expect(back.namedParameters().map(([k]) => k)).not.toContain('lm_head.weight');
    [m, back].forEach((x) => x.dispose());
  });
});
