import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBackends } from '@healthgpt/testing';
import { DecoderLM, GENERATION_CONFIG_FILE, loadGenerationConfig, parseGenerationConfig } from '../index.js';
import { tinyConfig } from '../configs.test_util.js';

describe('parseGenerationConfig', () => {
  it('reads eos_token_id as a number or a list, and the sampling settings', () => {
    expect(parseGenerationConfig({ eos_token_id: 7 }).eosTokenIds).toEqual([7]);
    expect(parseGenerationConfig({ eos_token_id: [32000, 32007, 32001] }).eosTokenIds).toEqual([32000, 32007, 32001]);
    expect(parseGenerationConfig({ eos_token_id: null }).eosTokenIds).toEqual([]);
    const g = parseGenerationConfig({ bos_token_id: 1, pad_token_id: 0, max_new_tokens: 9, do_sample: true, temperature: 0.7, top_k: 0, top_p: 0.9, repetition_penalty: 1.1, transformers_version: '4.41.2' });
    expect(g).toMatchObject({ bosTokenId: 1, padTokenId: 0, maxNewTokens: 9, doSample: true, temperature: 0.7, topK: 0, topP: 0.9, repetitionPenalty: 1.1 });
    expect(g.json.transformers_version).toBe('4.41.2');
  });

  it('refuses a wrongly typed field, naming the file and the field, never reinterpreting it', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ eos_token_id: '248' }, 'eos_token_id'],
      [{ eos_token_id: [2, '248'] }, 'eos_token_id'],
      [{ eos_token_id: [2, -1] }, 'eos_token_id'],
      [{ pad_token_id: 1.5 }, 'pad_token_id'],
      [{ do_sample: 'true' }, 'do_sample'],
      [{ max_new_tokens: true }, 'max_new_tokens'],
      [{ temperature: 0 }, 'temperature'],
      [{ top_p: 1.5 }, 'top_p'],
    ];
    for (const [json, field] of bad) expect(() => parseGenerationConfig(json, 'm/generation_config.json'), field).toThrow(expect.objectContaining({ code: 'CONFIG', file: 'm/generation_config.json', path: expect.stringMatching(new RegExp(`^${field}`)) }));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.boolean(), fc.double({ noInteger: true }), fc.integer({ min: 2 ** 31, max: 2 ** 40 })), (v) => {
        expect(() => parseGenerationConfig({ eos_token_id: v })).toThrow(expect.objectContaining({ path: 'eos_token_id' }));
      }),
      { numRuns: 40 },
    );
    expect(() => parseGenerationConfig([1, 2])).toThrow(/'\(root\)'/);
  });
});

describeBackends('generation_config.json with a model', () => {
  it('fromPretrained reads it; generate stops at its eos ids and takes its settings; explicit options win; savePretrained writes it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dec-gencfg-'));
    try {
      const m = new DecoderLM(tinyConfig('qwen2', { vocab_size: 64, eos_token_id: 63 }), { seed: 7 });
      const free = m.generate({ inputIds: [[3, 4, 5]], maxNewTokens: 8, stopTokens: [] }).sequences[0];
      await m.savePretrained(dir);
      expect(await loadGenerationConfig(dir)).toBeNull();
      writeFileSync(join(dir, GENERATION_CONFIG_FILE), JSON.stringify({ eos_token_id: [62, free[2]], max_new_tokens: 8, transformers_version: 'x' }));
      const loaded = await DecoderLM.fromPretrained(dir);
      expect(loaded.generationConfig!.eosTokenIds).toEqual([62, free[2]]);
      const res = loaded.generate({ inputIds: [[3, 4, 5]] });
      expect(res.sequences[0]).toEqual(free.slice(0, free.indexOf(free[2]) + 1));
      expect(res.finishReasons[0]).toBe('stop');
      expect(loaded.generate({ inputIds: [[3, 4, 5]], stopTokens: [] }).sequences[0]).toEqual(free);
      expect(loaded.generate({ inputIds: [[3, 4, 5]], stopTokens: [], generationConfig: null }).sequences[0]).toHaveLength(20); // the built-in default
      const out = mkdtempSync(join(tmpdir(), 'dec-gencfg-'));
      try {
        await loaded.savePretrained(out);
        expect(JSON.parse(readFileSync(join(out, GENERATION_CONFIG_FILE), 'utf8'))).toEqual({ eos_token_id: [62, free[2]], max_new_tokens: 8, transformers_version: 'x' });
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
      writeFileSync(join(dir, GENERATION_CONFIG_FILE), '{"eos_token_id": "248"}');
      await expect(DecoderLM.fromPretrained(dir)).rejects.toThrow(expect.objectContaining({ file: join(dir, GENERATION_CONFIG_FILE), path: 'eos_token_id' }));
      m.dispose();
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("samples with HF's defaults for what the file leaves out (top_k 50), and top_k 0 turns top-k off", () => {
    const m = new DecoderLM(tinyConfig('qwen2', { vocab_size: 64 }), { seed: 7 });
    const rankOf = (l: Float32Array, t: number) => Array.from(l).filter((v) => v > l[t]).length;
    const ranks = (generationConfig: ReturnType<typeof parseGenerationConfig>) =>
      [1, 2, 3, 4].flatMap((seed) => {
        const r = m.generate({ inputIds: [[3]], maxNewTokens: 20, stopTokens: [], seed, temperature: 50, returnLogits: true, generationConfig });
        return r.sequences[0].map((t, s) => rankOf(r.logits![s], t));
      });
    expect(Math.max(...ranks(parseGenerationConfig({ do_sample: true, top_k: 3 })))).toBeLessThan(3);
    expect(Math.max(...ranks(parseGenerationConfig({ do_sample: true })))).toBeLessThan(50);
    expect(Math.max(...ranks(parseGenerationConfig({ do_sample: true, top_k: 0 })))).toBeGreaterThanOrEqual(50);
    m.dispose();
  });
});
