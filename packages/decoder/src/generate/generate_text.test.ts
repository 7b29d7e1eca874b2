import { expect, it } from 'vitest';
import fc from 'fast-check';
import { describeBackends } from '@healthgpt/testing';
import { DecoderLM, allowedTokens, trainByteLevelBpe, type TokenEvent } from '../index.js';
import { bytesToUnicode } from '../tokenizer/byte_level.js';
import { tinyConfig } from '../configs.test_util.js';

// Multi-byte text, so that byte-level tokens can split a character.
const corpus = ['Le cœur et le foie — 日本語のテキスト, ü ö. Is there a mass? No. '.repeat(4)];
const tok = trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: ['<|endoftext|>', '<|end|>'], eosToken: '<|endoftext|>' });
const byteId = (b: number) => tok.tokenToId(bytesToUnicode()[b])!;

/** A processor that forces `ids[s]` at step s (then anything). */
const force = (ids: number[]) => allowedTokens('force', ({ step }) => (step < ids.length ? [ids[step]] : null));

describeBackends('generate with a tokenizer', () => {
  const model = new DecoderLM(tinyConfig('qwen2', { vocab_size: tok.length }), { seed: 4 });
  const eos = tok.eosTokenId!;

  it('returns each row decoded (stop token left out), and the streamed pieces add up to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (seed) => {
        const events: TokenEvent[] = [];
        const res = model.generate({ inputIds: [tok.encode('Is there'), tok.encode('日本')], maxNewTokens: 10, doSample: true, temperature: 2, seed, stopTokens: [eos], tokenizer: tok, onToken: (e) => void events.push(e) });
        res.sequences.forEach((seq, r) => {
          const body = res.finishReasons[r] === 'stop' ? seq.slice(0, -1) : seq;
          expect(res.texts![r]).toBe(tok.decode(body, { skipSpecialTokens: true }));
          expect(events.map((e) => e.text![r]).join('')).toBe(res.texts![r]);
          // Until the row's last step, a piece never ends in a half character.
          events.slice(0, -1).filter((e) => !e.finished[r]).forEach((e) => expect(e.text![r].endsWith('\uFFFD')).toBe(false));
        });
      }),
      { numRuns: 12 },
    );
  });

  it('holds back a character split across byte tokens until it is complete', () => {
    const nihon = [...new TextEncoder().encode('日')].map(byteId); // E6 97 A5: three byte tokens
    const a = tok.tokenToId('a')!;
    const pieces: string[] = [];
    const res = model.generate({ inputIds: [tok.encode('x')], maxNewTokens: 6, stopTokens: [eos], tokenizer: tok, logitsProcessors: [force([...nihon, a, eos])], onToken: (e) => void pieces.push(e.text![0]) });
    expect(pieces).toEqual(['', '', '日', 'a', '']);
    expect(res.texts).toEqual(['日a']);
    expect(res.finishReasons).toEqual(['stop']);
  });

  it('keeps special tokens in the text with skipSpecialTokens: false; a finished row streams nothing more', () => {
    const end = tok.tokenToId('<|end|>')!;
    const a = tok.tokenToId('a')!;
    const pieces: string[][] = [];
    const res = model.generate({
      inputIds: [tok.encode('x'), tok.encode('y')],
      maxNewTokens: 4,
      stopTokens: [eos],
      tokenizer: tok,
      skipSpecialTokens: false,
      logitsProcessors: [allowedTokens('script', ({ row, step }) => (row === 0 ? [[a, end, a, a][step]] : [[eos, a, a, a][step]]))],
      onToken: (e) => void pieces.push(e.text!),
    });
    expect(res.texts).toEqual(['a<|end|>aa', '']);
    expect(pieces.map((p) => p[1])).toEqual(['', '', '', '']);
    const skipped = model.generate({ inputIds: [tok.encode('x')], maxNewTokens: 3, stopTokens: [eos], tokenizer: tok, logitsProcessors: [force([a, end, a])] });
    expect(skipped.texts).toEqual(['aa']);
  });

  it('drops ids the tokenizer does not know from the text (a model vocabulary longer than its tokenizer), keeping them in the ids', () => {
    const wide = new DecoderLM(tinyConfig('qwen2', { vocab_size: tok.length + 8 }), { seed: 4 });
    const a = tok.tokenToId('a')!;
    const res = wide.generate({ inputIds: [tok.encode('x')], maxNewTokens: 3, stopTokens: [], tokenizer: tok, logitsProcessors: [force([a, tok.length + 3, a])] });
    expect(res.sequences[0]).toEqual([a, tok.length + 3, a]);
    expect(res.texts).toEqual(['aa']);
    wide.dispose();
  });
});
