import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import {
  codesToText,
  indicesToText,
  textToCodes,
  textToIndices,
  imageTokenVocabulary,
  imageTokenIds,
  findImageTokenIds,
  codesToIds,
  idsToCodes,
  codeToken,
  START_TOKEN,
  END_TOKEN,
  PIXEL_NEWLINE_TOKEN,
  VQTokenizerError,
} from './index.js';

describe('token text', () => {
  it('round-trips any codes through <start_index><idx_i>…<end_index>', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(8191), { maxLength: 64 }), (codes) => {
        const text = codesToText(codes);
        expect(text.startsWith('<start_index>') && text.endsWith('<end_index>')).toBe(true);
        expect(textToCodes(text, { nEmbed: 8192 })).toEqual(codes);
      }),
      { numRuns: 15 },
    );
  });

  it('formats exactly as HealthGPT and reads text around the codes', () => {
    expect(codesToText([3, 0, 12])).toBe('<start_index><idx_3><idx_0><idx_12><end_index>');
    expect(textToCodes('answer: <start_index><idx_5> <idx_6><pixel_newline><idx_7><end_index> trailing')).toEqual([5, 6, 7]);
    expect(textToCodes('<idx_1><idx_2>')).toEqual([1, 2]);
  });

  it('rejects garbage and out-of-codebook codes, naming the position', () => {
    expect(() => textToCodes('<start_index><idx_1>oops<idx_2><end_index>')).toThrow(/character 20/);
    expect(() => textToCodes('<start_index><idx_16><end_index>', { nEmbed: 16 })).toThrow(VQTokenizerError);
    expect(() => textToCodes('<start_index><idx_16><end_index>', { nEmbed: 16 })).toThrow(expect.objectContaining({ code: 'TOKEN_TEXT' }));
  });

  it('textToIndices checks the count, or pads and cuts with fill', async () => {
    expect(() => textToIndices(codesToText([1, 2, 3]), { h: 2, w: 2 })).toThrow(/3 codes, expected 2×2/);
    await expectNoLeaks(() => {
      const t = textToIndices(codesToText([1, 2, 3]), { h: 2, w: 2, fill: 0 });
      expect(t.dtype).toBe('int32');
      expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 0]);
      const cut = textToIndices(codesToText([1, 2, 3, 4, 5]), { h: 2, w: 2, fill: 0 });
      expect(Array.from(cut.dataSync())).toEqual([1, 2, 3, 4]);
      return [t, cut];
    });
  });

  it('indicesToText gives one text per image in raster order', () => {
    const idx = tf.tensor3d([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2], 'int32');
    expect(indicesToText(idx)).toEqual([codesToText([0, 1, 2, 3]), codesToText([4, 5, 6, 7])]);
    idx.dispose();
  });
});

describe('image-token vocabulary', () => {
  it('is HealthGPT\'s 8195 tokens in id order: start, idx_0 … idx_8191, end, pixel_newline', () => {
    const v = imageTokenVocabulary();
    expect(v).toHaveLength(8195);
    expect([v[0], v[1], v[8192], v[8193], v[8194]]).toEqual(['<start_index>', '<idx_0>', '<idx_8191>', '<end_index>', '<pixel_newline>']);
    expect(new Set(v).size).toBe(v.length);
    expect(imageTokenVocabulary(4)).toEqual([START_TOKEN, codeToken(0), codeToken(1), codeToken(2), codeToken(3), END_TOKEN, PIXEL_NEWLINE_TOKEN]);
    expect(() => imageTokenVocabulary(0)).toThrow(/'codebookSize' passed to 'imageTokenVocabulary'/);
  });

  it('imageTokenIds gives each token the id of its place in the vocabulary, from the first new id', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.integer({ min: 1, max: 64 }), (first, n) => {
        const ids = imageTokenIds(first, n);
        const at = new Map(imageTokenVocabulary(n).map((t, i) => [t, first + i]));
        expect([ids.start, ids.firstCode, ids.firstCode + n - 1, ids.end, ids.newline]).toEqual([START_TOKEN, codeToken(0), codeToken(n - 1), END_TOKEN, PIXEL_NEWLINE_TOKEN].map((t) => at.get(t)));
        expect(findImageTokenIds({ tokenToId: (t) => at.get(t) }, n)).toEqual(ids);
      }),
      { numRuns: 20 },
    );
    expect(imageTokenIds(32011)).toEqual({ start: 32011, firstCode: 32012, codebookSize: 8192, end: 40204, newline: 40205 });
  });

  it('findImageTokenIds refuses a tokenizer whose image tokens are missing or out of place, naming the token', () => {
    const at = new Map(imageTokenVocabulary(4).map((t, i) => [t, 10 + i]));
    expect(() => findImageTokenIds({ tokenToId: () => undefined }, 4)).toThrow(/no <start_index>/);
    const swapped = new Map(at).set(codeToken(1), 13).set(codeToken(2), 12);
    expect(() => findImageTokenIds({ tokenToId: (t) => swapped.get(t) }, 4)).toThrow(expect.objectContaining({ key: '<idx_1>', code: 'ARGUMENT' }));
    const short = new Map(at);
    short.delete(END_TOKEN);
    expect(() => findImageTokenIds({ tokenToId: (t) => short.get(t) }, 4)).toThrow(/<end_index> has id none, expected 15/);
  });

  it('codes ↔ ids round-trip through the block, skipping pixel_newline; the text and id forms agree', () => {
    fc.assert(
      fc.property(fc.nat(50_000), fc.array(fc.nat(127), { maxLength: 40 }), (first, codes) => {
        const ids = imageTokenIds(first, 128);
        const before = first + 500; // any id outside the block
        const tokens = [before, ids.start, ...codesToIds(codes, ids), ids.end, before];
        expect(idsToCodes(tokens, ids)).toEqual(codes);
        const withNewline = [ids.start, ...codesToIds(codes, ids).flatMap((t, i) => (i % 4 === 3 ? [t, ids.newline] : [t])), ids.end];
        expect(idsToCodes(withNewline, ids)).toEqual(codes);
        const at = imageTokenVocabulary(128);
        expect(textToCodes(tokens.slice(1, -1).map((t) => at[t - first]).join(''), { nEmbed: 128 })).toEqual(codes);
      }),
      { numRuns: 20 },
    );
  });

  it('idsToCodes and codesToIds refuse ids and codes outside the codebook, naming the position', () => {
    const ids = imageTokenIds(100, 8);
    expect(() => idsToCodes([100, 101, 5, 109], ids)).toThrow(/id 5 at 2 is not an image-code token/);
    expect(() => idsToCodes([100, 101, 5, 109], ids)).toThrow(expect.objectContaining({ code: 'TOKEN_TEXT' }));
    expect(() => codesToIds([1, 8], ids)).toThrow(/got 8 at 1/);
    expect(() => codesToIds([1, 2.5], ids)).toThrow(VQTokenizerError);
  });
});
