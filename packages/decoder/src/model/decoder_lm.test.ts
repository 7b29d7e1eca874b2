import { describe, expect, it } from 'vitest';
import { tf, Module, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { DecoderLM, DecoderError, disposeCache, type LinearLike } from '../index.js';
import { tinyConfig } from '../configs.test_util.js';

/** A stand-in adapter: the wrapped layer's output plus a constant. */
class ShiftAdapter extends Module {
  constructor(
    readonly base: LinearLike,
    readonly shift: number,
  ) {
    super();
    this.registerModule('base_layer', base);
  }
  forward(x: Tensor): Tensor {
    return tf.tidy(() => tf.add(this.base.forward(x), this.shift));
  }
}

describe('DecoderLM names', () => {
  it('registers Phi-3 parameters under HF keys (fused qkv / gate_up, no biases)', () => {
    const m = new DecoderLM(tinyConfig('phi3', { num_hidden_layers: 1 }));
    expect(m.namedParameters().map(([k, v]) => `${k} ${v.shape.join('x')}`)).toEqual([
      'model.embed_tokens.weight 48x16',
      'model.layers.0.input_layernorm.weight 16',
      'model.layers.0.self_attn.qkv_proj.weight 32x16',
      'model.layers.0.self_attn.o_proj.weight 16x16',
      'model.layers.0.post_attention_layernorm.weight 16',
      'model.layers.0.mlp.gate_up_proj.weight 48x16',
      'model.layers.0.mlp.down_proj.weight 16x24',
      'model.norm.weight 16',
      'lm_head.weight 48x16',
    ]);
    m.dispose();
  });

  it('registers Qwen2 parameters under HF keys (q/k/v with biases, o_proj without), tied head has no lm_head', () => {
    const m = new DecoderLM(tinyConfig('qwen2', { num_hidden_layers: 1, tie_word_embeddings: true }));
    const keys = m.namedParameters().map(([k]) => k);
    expect(keys.filter((k) => k.includes('self_attn'))).toEqual([
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.self_attn.q_proj.bias',
      'model.layers.0.self_attn.k_proj.weight',
      'model.layers.0.self_attn.k_proj.bias',
      'model.layers.0.self_attn.v_proj.weight',
      'model.layers.0.self_attn.v_proj.bias',
      'model.layers.0.self_attn.o_proj.weight',
    ]);
    expect(keys).toContain('model.layers.0.mlp.gate_proj.weight');
    expect(keys).toContain('model.layers.0.mlp.up_proj.weight');
    expect(keys).not.toContain('lm_head.weight');
    m.dispose();
  });

  it('fills zeros with init: false (weights about to be loaded), ones in the norms', () => {
    const m = new DecoderLM(tinyConfig('phi3', { num_hidden_layers: 1 }), { init: false });
    for (const [k, p] of m.namedParameters()) expect(tf.tidy(() => tf.max(tf.abs(tf.sub(p, k.endsWith('norm.weight') ? 1 : 0)))).dataSync()[0], k).toBe(0);
    m.dispose();
  });
});

for (const arch of ['phi3', 'qwen2'] as const) {
  describeBackends(`DecoderLM ${arch}`, () => {
    const ids = [
      [5, 9, 3, 7, 11, 4],
      [8, 6, 10, 12, 13, 14],
    ];

    it('runs an adapter that replaced a Linear by its dotted path', () => {
      const m = new DecoderLM(tinyConfig(arch), { seed: 3 });
      const before = m.forward({ inputIds: ids, useCache: false }).logits;
      const path = arch === 'phi3' ? 'model.layers.0.self_attn.qkv_proj' : 'model.layers.0.self_attn.v_proj';
      m.setSubmodule(path, new ShiftAdapter(m.getSubmodule<LinearLike>(path), 0.5));
      m.setSubmodule('model.layers.1.mlp.down_proj', new ShiftAdapter(m.getSubmodule<LinearLike>('model.layers.1.mlp.down_proj'), 0));
      const after = m.forward({ inputIds: ids, useCache: false }).logits;
      expect(tf.max(tf.abs(tf.sub(after, before))).dataSync()[0]).toBeGreaterThan(1e-3);
      expect(m.namedParameters().some(([k]) => k === `${path}.base_layer.weight`)).toBe(true);
      [before, after].forEach((t) => t.dispose());
      m.dispose();
    });

    it('gives the same logits from ids and from their embeddings, and the tied head is the embedding', () => {
      const m = new DecoderLM(tinyConfig(arch, { tie_word_embeddings: true }), { seed: 1 });
      const a = m.forward({ inputIds: ids, useCache: false });
      const emb = m.embedTokens(ids);
      const b = m.forward({ inputsEmbeds: emb, useCache: false, outputHiddenStates: true });
      expectClose(b.logits, a.logits, { atol: 1e-6 }, 'ids vs embeds');
      const manual = tf.matMul(b.hiddenStates![2].reshape([12, 16]), m.embedWeight, false, true).reshape([2, 6, 48]);
      expectClose(b.logits, manual, { atol: 1e-5 }, 'tied head');
      expect(b.hiddenStates![0]).not.toBe(emb);
      [a.logits, b.logits, emb, manual, ...b.hiddenStates!].forEach((t) => t.dispose());
      m.dispose();
    });

    it('decodes with the cache exactly as the uncached forward over the whole sequence', () => {
      const m = new DecoderLM(tinyConfig(arch), { seed: 2 });
      const full = m.forward({ inputIds: ids, useCache: false });
      const pre = m.forward({ inputIds: ids.map((r) => r.slice(0, 4)) });
      const step1 = m.forward({ inputIds: ids.map((r) => [r[4]]), pastKeyValues: pre.pastKeyValues });
      const step2 = m.forward({ inputIds: ids.map((r) => [r[5]]), pastKeyValues: step1.pastKeyValues, lastOnly: true });
      expect(step2.pastKeyValues[1].keys.shape).toEqual([2, 2, 6, 4]);
      expectClose(step1.logits, full.logits.slice([0, 4, 0], [2, 1, 48]), { atol: 1e-5 }, 'step 1');
      expectClose(step2.logits, full.logits.slice([0, 5, 0], [2, 1, 48]), { atol: 1e-5 }, 'step 2');
      [full, pre, step1, step2].forEach((o) => {
        o.logits.dispose();
        disposeCache(o.pastKeyValues);
      });
      m.dispose();
    });

    it('leaks no tensor in forward (with cache, hidden states, masks) or generate', async () => {
      const start = tf.memory().numTensors;
      const m = new DecoderLM(tinyConfig(arch), { seed: 4 });
      const warm = m.forward({ inputIds: ids, lastOnly: true }); // warm-up: builds the wasm path's cached Wᵀ
      warm.logits.dispose();
      disposeCache(warm.pastKeyValues);
      await expectNoLeaks(() => m.forward({ inputIds: ids, attentionMask: [[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], outputHiddenStates: true }), { what: 'forward' });
      const pre = m.forward({ inputIds: ids });
      await expectNoLeaks(() => m.forward({ inputIds: [[1], [2]], pastKeyValues: pre.pastKeyValues }), { what: 'cached forward' });
      pre.logits.dispose();
      disposeCache(pre.pastKeyValues);
      await expectNoLeaks(() => m.generate({ inputIds: [[3, 4, 5], [6]], maxNewTokens: 5, doSample: true, topK: 5, seed: 1 }), { what: 'generate' });
      await expectNoLeaks(
        () => {
          expect(() => m.forward({ inputIds: [[1, 2, 99]] })).toThrow(DecoderError);
        },
        { what: 'failed forward' },
      );
      m.dispose(); // parameters and the wasm path's cached Wᵀ
      expect(tf.memory().numTensors).toBe(start);
    });
  });
}

describe('DecoderLM errors', () => {
  const m = new DecoderLM(tinyConfig('phi3'));
  it('rejects bad inputs with DecoderError naming the argument', () => {
    expect(() => m.forward({})).toThrow(/exactly one of 'inputIds' and 'inputsEmbeds'/);
    expect(() => m.forward({ inputIds: [[1, 2, 300]] })).toThrow(/\[0, 48\), got 300/);
    expect(() => m.forward({ inputIds: [[1, -200]] })).toThrow(DecoderError);
    expect(() => m.forward({ inputIds: [[1, 2]], attentionMask: [[1, 1, 1]] })).toThrow(/'attentionMask'.*\[1, 2\]/);
    const e = tf.zeros([1, 2, 8]);
    expect(() => m.forward({ inputsEmbeds: e })).toThrow(/'inputsEmbeds'.*\[B, T, 16\]/);
    e.dispose();
    expect(() => m.generate({ inputIds: [[1]], maxNewTokens: 0 })).toThrow(/'maxNewTokens'/);
  });
});
