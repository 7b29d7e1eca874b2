import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { DecoderLM, DecoderError, indexBlockConstraint, allowedTokens, type TokenEvent } from '../index.js';
import { tinyConfig } from '../configs.test_util.js';

describeBackends('generate', () => {
  const model = new DecoderLM(tinyConfig('qwen2', { vocab_size: 64 }), { seed: 7 });

  it('stops each row at its stop token, pads finished rows, and streams every step', () => {
    const greedy = model.generate({ inputIds: [[3, 4, 5]], maxNewTokens: 6, stopTokens: [] }).sequences[0];
    const stopAt = greedy[2];
    const events: TokenEvent[] = [];
    const res = model.generate({ inputIds: [[3, 4, 5], [9, 10]], maxNewTokens: 6, stopTokens: [stopAt], padTokenId: 0, onToken: (e) => void events.push(e) });
    const first = greedy.indexOf(stopAt);
    expect(res.sequences[0]).toEqual(greedy.slice(0, first + 1));
    expect(res.finishReasons[0]).toBe('stop');
    expect(events.map((e) => e.tokens[0])).toEqual([...greedy.slice(0, first + 1), ...new Array(events.length - first - 1).fill(0)]);
    expect(events[first].finished[0]).toBe(true);
    const cut = model.generate({ inputIds: [[3, 4, 5]], maxNewTokens: 6, stopTokens: [], onToken: (e) => e.step < 1 });
    expect(cut.sequences[0]).toEqual(greedy.slice(0, 2));
    expect(cut.finishReasons[0]).toBe('callback');
  });

  it('samples reproducibly from a seed, only among the top-k tokens', () => {
    const run = (seed: number) => model.generate({ inputIds: [[3, 4, 5]], maxNewTokens: 8, stopTokens: [], doSample: true, temperature: 1.5, topK: 3, seed, returnLogits: true });
    const a = run(11);
    expect(run(11).sequences).toEqual(a.sequences);
    expect([12, 13, 14].some((s) => run(s).sequences[0].join() !== a.sequences[0].join())).toBe(true);
    a.sequences[0].forEach((tok, s) => {
      const l = a.logits![s];
      expect(Array.from(l).filter((v) => v > l[tok]).length).toBeLessThan(3);
    });
  });

  it('emits exactly N block tokens after the start id, then the end id, whatever the model prefers', () => {
    const [start, end, lo, hi] = [40, 41, 20, 36];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1000 }), (count, seed) => {
        const c = indexBlockConstraint({ startId: start, endId: end, idRange: { lo, hi }, count, forceStart: true });
        const res = model.generate({ inputIds: [[3, 4], [5, 6, 7]], maxNewTokens: count + 3, stopTokens: [end], doSample: true, seed, logitsProcessors: [c] });
        for (const seq of res.sequences) {
          expect(seq[0]).toBe(start);
          expect(seq.slice(1, count + 1).every((t) => t >= lo && t < hi)).toBe(true);
          expect(seq[count + 1]).toBe(end);
          expect(seq.length).toBe(count + 2);
        }
      }),
      { numRuns: 8 },
    );
    // A block opened in the prompt (HealthGPT appends the start token to the prompt), prompt as embeddings.
    const emb = model.embedTokens([[3, 4, start]]);
    const res = model.generate({ inputsEmbeds: emb, maxNewTokens: 10, stopTokens: [end], logitsProcessors: [indexBlockConstraint({ startId: start, endId: end, idRange: { lo, hi }, count: 4, startedInPrompt: true })] });
    expect(res.sequences[0].slice(0, 4).every((t) => t >= lo && t < hi)).toBe(true);
    expect(res.sequences[0][4]).toBe(end);
    emb.dispose();
  });

  it('raises DecoderError when processors forbid every token', () => {
    const none = allowedTokens('none', () => []);
    expect(() => model.generate({ inputIds: [[1]], logitsProcessors: [none] })).toThrow(DecoderError);
  });
});

describeBackends(
  'generate: 1,000 decode steps',
  () => {
    it('keeps the tensor count and tensor memory flat: the KV cache is allocated once and written in place', async () => {
      const m = new DecoderLM(tinyConfig('phi3', { vocab_size: 16, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1 }), { seed: 5 });
      const counts: number[] = [];
      const bytes: number[] = [];
      await expectNoLeaks(
        () => {
          m.generate({ inputIds: [[1, 2, 3]], maxNewTokens: 1000, stopTokens: [], onToken: () => void (counts.push(tf.memory().numTensors), bytes.push(tf.memory().numBytes)) });
        },
        { what: '1,000-step generate' },
      );
      expect(counts.length).toBe(1000);
      expect(new Set(counts.slice(1)).size).toBe(1);
      expect(new Set(bytes.slice(1)).size).toBe(1); // no per-step concatenation: nothing grows
      m.dispose();
    });
  },
  { only: ['cpu'] },
);
