import { expect, it } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { DecoderLM, DecoderError, extendVocabulary, trainByteLevelBpe, indexBlockConstraint } from '../index.js';
import { tinyConfig } from '../configs.test_util.js';

const corpus = ['The chest x-ray shows no pneumothorax. The liver is enlarged. Is there a mass in the brain? Yes, in the left lobe.'.repeat(4)];

describeBackends('extendVocabulary (REFERENCE.md §1)', () => {
  it('gives new ids from the tokenizer length and sets new rows of embedding and lm_head to the mean of the tokenizer rows', () => {
    const tok = trainByteLevelBpe(corpus, { vocabSize: 280, specialTokens: ['<|endoftext|>'] });
    const model = new DecoderLM(tinyConfig('phi3', { vocab_size: 290 }), { seed: 9 }); // model rows beyond the tokenizer, as Phi-3 (32064 vs 32011)
    const oldEmb = model.embedWeight.clone();
    const oldHead = model.stateDict().get('lm_head.weight')!.clone();
    // A block vocabulary laid out as HealthGPT's image tokens (whose strings live in @healthgpt/vq-tokenizer).
    const tokens = ['<open>', ...Array.from({ length: 16 }, (_, i) => `<code_${i}>`), '<close>', '<newline>'];
    const r = extendVocabulary(model, tok, tokens);
    expect(r).toEqual({ added: 19, firstNewId: 280, vocabSize: 299 });
    expect([tok.tokenToId('<open>'), tok.tokenToId('<code_0>'), tok.tokenToId('<code_15>'), tok.tokenToId('<close>'), tok.tokenToId('<newline>')]).toEqual([280, 281, 296, 297, 298]);
    expect(model.config.vocabSize).toBe(299);
    expect(model.config.json.vocab_size).toBe(299);
    for (const [now, before] of [
      [model.embedWeight, oldEmb],
      [model.stateDict().get('lm_head.weight')!, oldHead],
    ] as const) {
      expect(now.shape).toEqual([299, 16]);
      expectClose(now.slice([0, 0], [280, 16]), before.slice([0, 0], [280, 16]), { atol: 0 }, 'kept rows');
      const mean = tf.mean(before.slice([0, 0], [280, 16]), 0, true);
      expectClose(now.slice([280, 0], [19, 16]), tf.tile(mean, [19, 1]), { atol: 1e-6 }, 'new rows');
    }
    // The extended model decodes an image block under the constraint.
    const res = model.generate({ inputIds: [tok.encode('Is there a mass?<open>')], maxNewTokens: 20, stopTokens: [297], logitsProcessors: [indexBlockConstraint({ startId: 280, endId: 297, idRange: { lo: 281, hi: 297 }, count: 4 })] });
    expect(res.sequences[0]).toHaveLength(5);
    expect(res.sequences[0][4]).toBe(297);
    expect(extendVocabulary(model, tok, ['<code_0>']).added).toBe(0);
    model.dispose();
  });

  it('resizes a tied model once, leaks nothing, and refuses a tokenizer longer than the model', async () => {
    const tok = trainByteLevelBpe(corpus, { vocabSize: 270 });
    const model = new DecoderLM(tinyConfig('qwen2', { vocab_size: 270, tie_word_embeddings: true }));
    await expectNoLeaks(() => void extendVocabulary(model, tok, ['<a>', '<b>']), { what: 'extendVocabulary' });
    expect(model.embedWeight.shape).toEqual([272, 16]);
    const fresh = new DecoderLM(tinyConfig('qwen2', { tie_word_embeddings: true }));
    expect(model.namedParameters().length).toBe(fresh.namedParameters().length);
    fresh.dispose();
    const small = new DecoderLM(tinyConfig('qwen2', { vocab_size: 100 }));
    expect(() => extendVocabulary(small, tok, ['<c>'])).toThrow(DecoderError);
    model.dispose();
    small.dispose();
  });
});
