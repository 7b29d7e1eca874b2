import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks } from '@healthgpt/testing';
import { codesToText, indicesToText, textToCodes, textToIndices, VQTokenizerError } from './index.js';

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
