import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeBatch, padBatch, trainByteLevelBpe } from '../index.js';

const tok = trainByteLevelBpe(['Is there a mass in the left lung? No. The liver is enlarged. '.repeat(3)], { vocabSize: 280, specialTokens: ['<pad>', '<s>'], padToken: '<pad>', bosToken: '<s>', addBosToken: true });

describe('padBatch / encodeBatch', () => {
  it('pads to the longest row on either side; stripping the padding by the mask gives each row back', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(99), { maxLength: 7 }), { minLength: 1, maxLength: 5 }), fc.constantFrom('left', 'right' as const), fc.nat(99), (seqs, side, pad) => {
        const { inputIds, attentionMask } = padBatch(seqs, pad, side);
        const len = Math.max(...seqs.map((s) => s.length));
        seqs.forEach((s, r) => {
          expect(inputIds[r]).toHaveLength(len);
          expect(attentionMask[r].reduce((a, b) => a + b, 0)).toBe(s.length);
          expect(inputIds[r].filter((_, j) => attentionMask[r][j] === 1)).toEqual(s);
          expect(inputIds[r].filter((_, j) => attentionMask[r][j] === 0).every((x) => x === pad)).toBe(true);
          const firstReal = attentionMask[r].indexOf(1);
          if (s.length && s.length < len) expect(firstReal).toBe(side === 'left' ? len - s.length : 0);
        });
      }),
      { numRuns: 50 },
    );
  });

  it("is HF's tokenizer(texts, padding=True): ids, mask, the tokenizer's pad id, BOS per row", () => {
    const texts = ['Is there a mass?', 'No.', 'The liver is enlarged.'];
    const right = encodeBatch(tok, texts);
    const left = tok.encodeBatch(texts, { padding: 'left' });
    const pad = tok.padTokenId!;
    texts.forEach((t, r) => {
      const ids = tok.encode(t);
      expect(ids[0]).toBe(tok.bosTokenId);
      expect(right.inputIds[r].slice(0, ids.length)).toEqual(ids);
      expect(right.inputIds[r].slice(ids.length).every((x) => x === pad)).toBe(true);
      expect(left.inputIds[r].slice(left.inputIds[r].length - ids.length)).toEqual(ids);
      expect(left.attentionMask[r]).toEqual(right.attentionMask[r].slice().reverse());
    });
    expect(encodeBatch(tok, ['No.'], { addSpecialTokens: false }).inputIds[0]).toEqual(tok.encode('No.', { addSpecialTokens: false }));
  });

  it('checks the pad id (an accurate message, not "bad ids"), the side and the texts', () => {
    expect(() => encodeBatch(tok, ['a', 'bb'], { padTokenId: 280 })).toThrow("'padTokenId' passed to 'encodeBatch' must be an integer id in [0, 280), got 280");
    expect(() => encodeBatch(tok, ['a'], { padTokenId: 1.5 })).toThrow(/must be an integer id in \[0, 280\), got 1\.5/);
    const noPad = trainByteLevelBpe(['abc abc abc'], { vocabSize: 258 });
    expect(() => encodeBatch(noPad, ['a', 'bb'])).toThrow(/has no pad token, so pass 'padTokenId'/);
    expect(encodeBatch(noPad, ['a', 'a b c a'], { padTokenId: 0 }).attentionMask[0]).toContain(0);
    expect(() => encodeBatch(tok, ['a'], { padding: 'middle' as 'left' })).toThrow(/'left' or 'right'/);
    expect(() => encodeBatch(tok, [])).toThrow(/non-empty list/);
    expect(() => encodeBatch(tok, ['a', 3 as unknown as string])).toThrow(expect.objectContaining({ record: 1 }));
  });
});
