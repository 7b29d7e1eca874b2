import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecoderError, HFTokenizer } from '../index.js';

type Json = Record<string, unknown>;

/** A small BPE tokenizer.json over the letters a–e (ids 0–4) with one merge. */
function bpe(vocab: Json = { a: 0, b: 1, c: 2, d: 3, e: 4, ab: 5 }, added: Json[] = []): Json {
  return { model: { type: 'BPE', vocab, merges: [['a', 'b']], unk_token: null }, added_tokens: added, normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null };
}

describe('HFTokenizer vocabulary checks', () => {
  it('accepts a well-formed vocabulary, and added tokens repeating a vocabulary entry with its own id', () => {
    const t = new HFTokenizer(bpe(undefined, [{ id: 4, content: 'e', special: true }, { id: 6, content: '<s>', special: true }]));
    expect(t.encode('abc')).toEqual([5, 2]);
    expect(t.length).toBe(7);
  });

  it('refuses an empty vocabulary (which would encode every text to [])', () => {
    expect(() => new HFTokenizer(bpe({}), {}, 'm/tokenizer.json')).toThrow(expect.objectContaining({ code: 'TOKENIZER', file: 'm/tokenizer.json', path: 'model.vocab' }));
    expect(() => new HFTokenizer(bpe({}, [{ id: 0, content: '<s>' }]))).toThrow(/vocabulary is empty/);
    expect(() => new HFTokenizer({ model: { type: 'Unigram', vocab: [] } })).toThrow(/vocabulary is empty/);
  });

  it('refuses ids that are negative, fractional, beyond 2^31, not numbers, naming the file and token', () => {
    const badId = fc.oneof(fc.integer({ max: -1 }), fc.double({ min: 0.01, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)), fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom('7', null, true, NaN, Infinity));
    fc.assert(
      fc.property(badId, fc.constantFrom('a', 'c', 'ab'), fc.boolean(), (id, token, asAdded) => {
        const json = asAdded ? bpe(undefined, [{ id, content: '<x>' }]) : bpe({ ...{ a: 0, b: 1, c: 2, d: 3, e: 4, ab: 5 }, [token]: id });
        const want = asAdded ? { key: '<x>', path: 'added_tokens[0].id' } : { key: token, path: 'model.vocab' };
        expect(() => new HFTokenizer(json, {}, 'v/tokenizer.json')).toThrow(expect.objectContaining({ code: 'TOKENIZER', file: 'v/tokenizer.json', ...want }));
      }),
      { numRuns: 60 },
    );
  });

  it('refuses an id given to two tokens and a token given two ids, in the vocabulary or the added tokens', () => {
    expect(() => new HFTokenizer(bpe({ a: 0, b: 0, c: 2 }))).toThrow(/id 0 is given to both "a" and "b"/);
    expect(() => new HFTokenizer(bpe(undefined, [{ id: 1, content: '<s>' }]))).toThrow(/id 1 is given to both "b" and "<s>"/);
    expect(() => new HFTokenizer(bpe(undefined, [{ id: 9, content: 'a' }]))).toThrow(/token "a" has two ids, 0 and 9/);
    expect(() => new HFTokenizer(bpe(undefined, [{ id: 6, content: '<s>' }, { id: 7, content: '<s>' }]))).toThrow(expect.objectContaining({ key: '<s>', path: 'added_tokens[1].id' }));
    expect(() => new HFTokenizer(bpe(undefined, [{ id: 6, content: '' }]))).toThrow(/added_tokens\[0\]\.content must be a non-empty string/);
  });

  it('names the file it loaded from, and refuses a malformed file as a DecoderError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dec-vocab-'));
    try {
      const file = join(dir, 'tokenizer.json');
      writeFileSync(file, JSON.stringify(bpe({ a: 0, b: -3 })));
      await expect(HFTokenizer.fromFile(dir)).rejects.toThrow(expect.objectContaining({ file, key: 'b' }));
      await expect(HFTokenizer.fromFile(join(dir, 'missing.json'))).rejects.toThrow(DecoderError);
      writeFileSync(file, JSON.stringify(bpe()));
      writeFileSync(join(dir, 'tokenizer_config.json'), '[1, 2]');
      await expect(HFTokenizer.fromFile(dir)).rejects.toThrow(expect.objectContaining({ file: join(dir, 'tokenizer_config.json') }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
