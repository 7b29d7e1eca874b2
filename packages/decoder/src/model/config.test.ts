import { describe, expect, it } from 'vitest';
import { DecoderLM, DecoderError, parseConfig, preset, parameterCount, PRESETS, type PresetName } from '../index.js';
import { tinyConfig } from '../test_helpers.js';

describe('parseConfig', () => {
  it('resolves HF defaults: kv heads, head_dim, sliding window only where it applies', () => {
    const c = parseConfig({ model_type: 'qwen2', vocab_size: 10, hidden_size: 8, intermediate_size: 4, num_hidden_layers: 1, num_attention_heads: 2, sliding_window: 4 });
    expect([c.numKvHeads, c.headDim, c.rmsNormEps, c.ropeTheta, c.slidingWindow, c.tieWordEmbeddings]).toEqual([2, 4, 1e-6, 10000, null, false]);
    expect(parseConfig(preset('phi3-mini-4k')).slidingWindow).toBe(2047);
    expect(parseConfig({ ...tinyConfig('phi3'), eos_token_id: [2, 7] }).eosTokenIds).toEqual([2, 7]);
  });

  it('rejects bad configs with a DecoderError naming the key and the file', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...tinyConfig('phi3'), num_key_value_heads: 3 }, /'num_key_value_heads' \(3\) must divide/],
      [{ ...tinyConfig('phi3'), hidden_size: 18 }, /divisible by 'num_attention_heads'/],
      [{ ...tinyConfig('phi3'), hidden_act: 'gelu' }, /'hidden_act' must be 'silu'/],
      [{ ...tinyConfig('phi3'), rope_scaling: { type: 'longrope' } }, /'rope_scaling' is not supported/],
      [{ ...tinyConfig('phi3'), vocab_size: 0 }, /'vocab_size' must be a positive integer/],
    ];
    for (const [json, msg] of bad) {
      expect(() => parseConfig(json, 'x/config.json')).toThrow(msg);
      expect(() => parseConfig(json, 'x/config.json')).toThrow(DecoderError);
    }
    expect(() => parseConfig({}, 'x/config.json')).toThrow(expect.objectContaining({ code: 'CONFIG', file: 'x/config.json', path: 'model_type' }));
    expect(() => parseConfig({ ...tinyConfig('phi3'), vocab_size: 0 }, 'x/config.json')).toThrow(/\(file x\/config\.json, at vocab_size\)$/);
  });
});

describe('presets', () => {
  it('carry the real shapes and analytic parameter counts (never instantiated)', () => {
    const real: [PresetName, number, number, number, number][] = [
      // name, parameters, head_dim, heads, kv heads
      ['phi3-mini-4k', 3_821_079_552, 96, 32, 32],
      ['phi-4', 14_659_507_200, 128, 40, 10],
      ['qwen2.5-32b', 32_763_876_352, 128, 40, 8],
    ];
    for (const [name, n, hd, h, kv] of real) {
      const c = parseConfig(preset(name));
      expect([parameterCount(c), c.headDim, c.numHeads, c.numKvHeads]).toEqual([n, hd, h, kv]);
    }
    expect(PRESETS['qwen2.5-32b'].model_type).toBe('qwen2');
    expect(PRESETS['phi-4'].model_type).toBe('phi3');
  });

  it('count exactly the parameters a built model has (small presets, tied and untied)', () => {
    for (const json of [preset('phi3-tiny'), preset('qwen2-tiny'), tinyConfig('qwen2', { tie_word_embeddings: true }), tinyConfig('phi3', { head_dim: 6 })]) {
      const m = new DecoderLM(json);
      expect(m.numParameters()).toBe(parameterCount(json));
      m.dispose();
    }
    expect(parameterCount(preset('phi3-small-50m'))).toBeGreaterThan(45e6);
    expect(parameterCount(preset('phi3-small-50m'))).toBeLessThan(55e6);
    expect(() => preset('gpt-5' as PresetName)).toThrow(DecoderError);
  });
});
