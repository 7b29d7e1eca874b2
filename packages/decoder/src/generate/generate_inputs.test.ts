import { expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { DecoderLM, DecoderError, HeadLinear, trainByteLevelBpe, type LogitsProcessor, type TextTokenizer } from '../index.js';
import { tinyConfig } from '../configs.test_util.js';

const V = 64;

describeBackends('generate: careless and hostile inputs', () => {
  const model = new DecoderLM(tinyConfig('qwen2', { vocab_size: V }), { seed: 7 });
  const greedy = (stopTokens: number[] = []) => model.generate({ inputIds: [[3, 4, 5]], maxNewTokens: 6, stopTokens }).sequences[0];

  it('stopTokens as a bare id, as token strings with a tokenizer, or mixed, all stop', () => {
    const seq = greedy();
    const stopAt = seq[2];
    const want = seq.slice(0, seq.indexOf(stopAt) + 1);
    expect(model.generate({ inputIds: [[3, 4, 5]], maxNewTokens: 6, stopTokens: stopAt }).sequences[0]).toEqual(want);
    const tok = { tokenToId: (t: string) => (t === '<stop>' ? stopAt : undefined), decode: () => '', length: V } as unknown as TextTokenizer;
    expect(model.generate({ inputIds: [[3, 4, 5]], maxNewTokens: 6, stopTokens: '<stop>', tokenizer: tok }).sequences[0]).toEqual(want);
    expect(model.generate({ inputIds: [[3, 4, 5]], maxNewTokens: 6, stopTokens: [63, '<stop>'], tokenizer: tok }).sequences[0]).toEqual(want);
  });

  it('refuses stop tokens it cannot honour, naming the entry', () => {
    const tok = trainByteLevelBpe(['abc abd abe '.repeat(3)], { vocabSize: 260 });
    expect(() => model.generate({ inputIds: [[3]], stopTokens: '248' })).toThrow(/'stopTokens\[0\]' passed to 'generate' is the string "248": pass 'tokenizer'/);
    expect(() => model.generate({ inputIds: [[3]], stopTokens: ['<never>'], tokenizer: tok })).toThrow(/"<never>"\) is not a token of the tokenizer/);
    fc.assert(
      fc.property(fc.oneof(fc.double({ noInteger: true }), fc.integer({ max: -1 }), fc.integer({ min: V, max: 2 ** 40 }), fc.constant(null)), fc.nat(2), (bad, at) => {
        const list: unknown[] = [1, 2];
        list.splice(at, 0, bad);
        expect(() => model.generate({ inputIds: [[3]], stopTokens: list as number[] })).toThrow(expect.objectContaining({ code: 'ARGUMENT', message: expect.stringContaining(`'stopTokens[${at}]' passed to 'generate' must be an integer id in [0, ${V})`) }));
      }),
      { numRuns: 30 },
    );
  });

  it('an out-of-range or fractional pad id is reported as the pad id, before any forward', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: V, max: 1e9 }), fc.integer({ max: -1 }), fc.double({ noInteger: true })), (pad) => {
        expect(() => model.generate({ inputIds: [[3, 4], [5]], padTokenId: pad })).toThrow(`'padTokenId' passed to 'generate' must be an integer id in [0, ${V}), got ${pad}`);
      }),
      { numRuns: 30 },
    );
    const badCfg = new DecoderLM(tinyConfig('qwen2', { vocab_size: V, pad_token_id: 99 }), { seed: 1 });
    expect(() => badCfg.generate({ inputIds: [[3, 4], [5]] })).toThrow(/'padTokenId \(from the config pad_token_id\)' passed to 'generate' must be an integer id in \[0, 64\), got 99/);
    badCfg.dispose();
  });

  it('refuses fractional token ids (arrays and float tensors) instead of truncating them; integral float tensors are fine', async () => {
    expect(() => model.generate({ inputIds: [[3, 4.5]] })).toThrow(/got 4\.5 at \[0, 1\]/);
    await expectNoLeaks(() => {
      const f = tf.tensor2d([[3, 4.5]]);
      expect(() => model.forward({ inputIds: f })).toThrow(DecoderError);
      expect(() => model.embedTokens(f)).toThrow(/must be integers in \[0, 64\), got 4\.5/);
      f.dispose();
    }, { what: 'refused float ids' });
    const whole = tf.tensor2d([[3, 4, 5]]);
    expect(model.generate({ inputIds: whole, maxNewTokens: 6, stopTokens: [] }).sequences[0]).toEqual(greedy());
    whole.dispose();
  });

  it('NaN or +Infinity logits never become token 0: a typed error names the row and step', async () => {
    const nanModel = new DecoderLM(tinyConfig('qwen2', { vocab_size: V }), { seed: 7 });
    const head = nanModel.getSubmodule<HeadLinear>('lm_head').weight;
    head.assign(tf.fill(head.shape, NaN));
    await expectNoLeaks(() => {
      expect(() => nanModel.generate({ inputIds: [[3, 4], [5, 6]], maxNewTokens: 3 })).toThrow(expect.objectContaining({ code: 'GENERATE', record: 0, message: expect.stringMatching(/the model's logits for row 0 at step 0 hold NaN/) }));
    }, { what: 'refused NaN generation' });
    nanModel.dispose();
    const poison = (value: number, step: number): LogitsProcessor => ({ name: 'poison', process: (l, ctx) => void (ctx.step === step && ctx.row === 1 && (l[5] = value)) });
    expect(() => model.generate({ inputIds: [[3], [4]], maxNewTokens: 4, stopTokens: [], logitsProcessors: [poison(NaN, 2)] })).toThrow(/the logits after the processors for row 1 at step 2 hold NaN \(token 5\)/);
    expect(() => model.generate({ inputIds: [[3], [4]], maxNewTokens: 4, stopTokens: [], doSample: true, logitsProcessors: [poison(Infinity, 1)] })).toThrow(/row 1 at step 1 hold Infinity/);
    // −Infinity is how processors forbid tokens: allowed.
    expect(model.generate({ inputIds: [[3]], maxNewTokens: 2, stopTokens: [], logitsProcessors: [{ name: 'ban0', process: (l) => void (l[0] = -Infinity) }] }).sequences[0]).not.toContain(0);
  });

  it('checks the ids of indexBlockConstraint and the rest of the options', async () => {
    const { indexBlockConstraint } = await import('../index.js');
    expect(() => indexBlockConstraint({ startId: 1.5, endId: 9, idRange: { lo: 2, hi: 8 }, count: 2 })).toThrow(/'startId' passed to 'indexBlockConstraint' must be a non-negative integer id, got 1\.5/);
    expect(() => indexBlockConstraint({ startId: 1, endId: 9, idRange: { lo: -2, hi: 8 }, count: 2 })).toThrow(/'idRange\.lo'/);
    expect(() => model.generate({ inputIds: [[3]], maxNewTokens: 0 })).toThrow(/'maxNewTokens' passed to 'generate' must be a positive integer/);
    expect(() => model.generate({ inputIds: [[]] })).toThrow(/non-empty id lists/);
  });
});
