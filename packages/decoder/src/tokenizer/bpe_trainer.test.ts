import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Tokenizer } from '@huggingface/tokenizers';
import { requireDataDir } from '@healthgpt/testing';
import { DecoderError, HFTokenizer, trainByteLevelBpe } from '../index.js';

interface VqaRecord {
  question: string;
  answer: string | number;
  image_name: string;
}

/** VQA-RAD questions and answers, split by image: train on ~85 % of the images, hold out the rest. */
function vqaRadText(): { train: string[]; heldOut: string[] } {
  const file = join(requireDataDir(), 'vqa-rad', 'VQA_RAD Dataset Public.json');
  const recs = JSON.parse(readFileSync(file, 'utf8')) as VqaRecord[];
  const images = [...new Set(recs.map((r) => r.image_name))].sort();
  const held = new Set(images.filter((_, i) => i % 7 === 0));
  const text = (r: VqaRecord) => `${r.question} ${String(r.answer)}`;
  return { train: recs.filter((r) => !held.has(r.image_name)).map(text), heldOut: recs.filter((r) => held.has(r.image_name)).map(text) };
}

describe('trainByteLevelBpe', () => {
  let data: { train: string[]; heldOut: string[] };
  let tok: HFTokenizer;
  const specials = ['<|endoftext|>', '<pad>', '<s>'];
  beforeAll(() => {
    data = vqaRadText();
    tok = trainByteLevelBpe(data.train, { vocabSize: 800, specialTokens: specials, eosToken: '<|endoftext|>', padToken: '<pad>', bosToken: '<s>' });
  });

  it('reaches the requested vocabulary and needs at most half as many tokens as bytes on held-out VQA-RAD text', () => {
    expect(tok.length).toBe(800);
    const text = data.heldOut.join('\n');
    const bytes = Buffer.byteLength(text, 'utf8');
    const ids = tok.encode(text);
    expect(bytes).toBeGreaterThan(5000);
    expect(ids.length / bytes).toBeLessThanOrEqual(0.5);
    expect(tok.decode(ids)).toBe(text);
  });

  it('round-trips any text, special tokens are single ids, and roles resolve', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
      }),
      { numRuns: 30 },
    );
    const ids = tok.encode('Is there a mass?<|endoftext|>Yes');
    expect(ids.filter((i) => i === 0)).toHaveLength(1);
    expect([tok.eosTokenId, tok.padTokenId, tok.bosTokenId]).toEqual([0, 1, 2]);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('Is there a mass?Yes');
  });

  it('writes a tokenizer.json that @huggingface/tokenizers loads back to the same encoding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpe-'));
    try {
      await tok.save(dir);
      const again = await HFTokenizer.fromFile(dir);
      const raw = new Tokenizer(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')));
      for (const s of data.heldOut.slice(0, 50)) {
        expect(again.encode(s)).toEqual(tok.encode(s));
        expect(raw.encode(s).ids).toEqual(tok.encode(s));
      }
      expect(again.length).toBe(800);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds tokens from its length on, and can prepend a BOS', () => {
    const t = trainByteLevelBpe(data.train.slice(0, 400), { vocabSize: 300, specialTokens: ['<s>'], bosToken: '<s>', addBosToken: true });
    expect(t.encode('CT scan')[0]).toBe(0);
    expect(t.encode('CT scan', { addSpecialTokens: false })[0]).not.toBe(0);
    expect(t.addTokens(['<open>', '<code_0>', '<s>'])).toBe(2);
    expect([t.tokenToId('<open>'), t.tokenToId('<code_0>'), t.length]).toEqual([300, 301, 302]);
    expect(t.encode('a<code_0>b', { addSpecialTokens: false })).toContain(301);
  });

  it('throws DecoderError when the size cannot be reached or is too small', () => {
    expect(() => trainByteLevelBpe(['tiny corpus'], { vocabSize: 400 })).toThrow(/yields only/);
    expect(() => trainByteLevelBpe(['x'], { vocabSize: 100 })).toThrow(DecoderError);
    expect(() => trainByteLevelBpe(['x'], { vocabSize: 300, eosToken: '<eos>' })).toThrow(/one of 'specialTokens'/);
  });
});
