import { afterAll, beforeAll, expect, it } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, loadGolden, ioTensor, expectClose, expectEqualInts, type Golden } from '@healthgpt/testing';
import { DecoderLM, disposeCache, type DecoderConfigJson } from '../index.js';
import { positionsFromMask } from './positions.js';

/** Repeat a [B, T] mask over the trailing `inner` elements (1 = compare). */
function rowMask(mask: Tensor, inner: number, lead = 1): Float32Array {
  const m = mask.dataSync();
  const out = new Float32Array(lead * m.length * inner);
  for (let l = 0; l < lead; l++) for (let i = 0; i < m.length; i++) out.fill(m[i], (l * m.length + i) * inner, (l * m.length + i + 1) * inner);
  return out;
}

for (const name of ['phi3_tiny', 'qwen2_tiny']) {
  describeBackends(`DecoderLM parity ${name}`, () => {
    let g: Golden;
    let model: DecoderLM;
    beforeAll(async () => {
      g = await loadGolden(name);
      model = new DecoderLM(g.config as DecoderConfigJson);
      model.loadStateDict(g.weights);
    });
    afterAll(() => {
      model.dispose();
      g.dispose();
    });

    it('derives HF position ids from a left-padded mask', () => {
      const mask = ioTensor(g, 'attention_mask');
      expectEqualInts(positionsFromMask(mask.dataSync(), mask.shape[0], 12, 12), ioTensor(g, 'position_ids'), 'position ids');
    });

    it('matches logits, hidden states and the KV cache at unpadded positions', () => {
      const mask = ioTensor(g, 'attention_mask');
      const out = model.forward({ inputIds: ioTensor(g, 'input_ids'), attentionMask: mask, outputHiddenStates: true });
      const r = expectClose(out.logits, ioTensor(g, 'logits'), { atol: 1e-4 }, 'logits', rowMask(mask, 320));
      expect(r.count).toBe(21 * 320);
      const hs = tf.stack(out.hiddenStates!);
      const hmask = rowMask(mask, 64, 3).fill(1, 0, 2 * 12 * 64); // [0] (embeddings) is not zeroed
      expectClose(hs, ioTensor(g, 'hidden_states'), { atol: 1e-5 }, 'hidden states', hmask);
      const keys = tf.stack(out.pastKeyValues.map((l) => l.keys));
      const values = tf.stack(out.pastKeyValues.map((l) => l.values));
      const kvMask = new Float32Array(2 * 2 * 2 * 12 * 16);
      const m = mask.dataSync();
      kvMask.forEach((_, i) => (kvMask[i] = m[Math.floor(i / (2 * 12 * 16)) % 2 * 12 + (Math.floor(i / 16) % 12)]));
      expectClose(keys, ioTensor(g, 'past_keys'), { atol: 1e-5 }, 'past keys', kvMask);
      expectClose(values, ioTensor(g, 'past_values'), { atol: 1e-5 }, 'past values', kvMask);
      [hs, keys, values, out.logits, ...out.hiddenStates!].forEach((t) => t.dispose());
      disposeCache(out.pastKeyValues);
    });

    it('gives a left-padded row the logits of the same row unpadded', () => {
      const ids = ioTensor(g, 'input_ids').arraySync() as number[][];
      const padded = model.forward({ inputIds: ids, attentionMask: ioTensor(g, 'attention_mask') });
      const alone = model.forward({ inputIds: [ids[1].slice(3)] });
      const row = padded.logits.slice([1, 3, 0], [1, 9, 320]);
      expectClose(row, alone.logits, { atol: 1e-5 }, 'padded row vs unpadded');
      [row, padded.logits, alone.logits].forEach((t) => t.dispose());
      disposeCache(padded.pastKeyValues);
      disposeCache(alone.pastKeyValues);
    });

    it('decodes greedily with the cache exactly as HF, and uncached decoding agrees', () => {
      const prompt = ioTensor(g, 'greedy_prompt_ids').arraySync() as number[][];
      const cached = model.generate({ inputIds: prompt, maxNewTokens: 8, stopTokens: [], returnLogits: true });
      expectEqualInts(cached.sequences[0], ioTensor(g, 'greedy_ids'), 'greedy ids');
      const stepLogits = new Float32Array(8 * 320);
      cached.logits!.forEach((l, s) => stepLogits.set(l, s * 320));
      expectClose(stepLogits, ioTensor(g, 'greedy_step_logits'), { atol: 1e-4 }, 'greedy step logits');
      const uncached = model.generate({ inputIds: prompt, maxNewTokens: 8, stopTokens: [], returnLogits: true, useCache: false });
      expect(uncached.sequences).toEqual(cached.sequences);
      uncached.logits!.forEach((l, s) => expectClose(l, cached.logits![s], { atol: 1e-5 }, `step ${s} cached vs uncached`));
    });

    it('decodes a left-padded batch exactly as HF (each row as if alone)', () => {
      const res = model.generate({ inputIds: ioTensor(g, 'input_ids'), attentionMask: ioTensor(g, 'attention_mask'), maxNewTokens: 8, stopTokens: [], returnLogits: true });
      expectEqualInts(res.sequences.flat(), ioTensor(g, 'greedy_batch_ids'), 'batch greedy ids');
      const all = new Float32Array(8 * 2 * 320);
      res.logits!.forEach((l, s) => all.set(l, s * 640));
      expectClose(all, ioTensor(g, 'greedy_batch_step_logits'), { atol: 1e-4 }, 'batch step logits');
      const ids = ioTensor(g, 'input_ids').arraySync() as number[][];
      const ragged = model.generate({ inputIds: [ids[0], ids[1].slice(3)], maxNewTokens: 8, stopTokens: [] });
      expect(ragged.sequences).toEqual(res.sequences);
    });
  });
}
