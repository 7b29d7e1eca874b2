import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecoderLM, DecoderError, parseConfig, preset, parameterCount, decoderKeyShapes, PRESETS, type PresetName } from '../index.js';
import { tinyConfig } from '../configs.test_util.js';

describe('parseConfig', () => {
  it('resolves HF defaults: kv heads, head_dim, sliding window only where it applies', () => {
    const c = parseConfig({ model_type: 'qwen2', vocab_size: 10, hidden_size: 8, intermediate_size: 4, num_hidden_layers: 1, num_attention_heads: 2, sliding_window: 4 });
    expect([c.numKvHeads, c.headDim, c.rmsNormEps, c.ropeTheta, c.slidingWindow, c.tieWordEmbeddings]).toEqual([2, 4, 1e-6, 10000, null, false]);
    expect(parseConfig(preset('phi3-mini-4k')).slidingWindow).toBe(2047);
    expect(parseConfig({ ...tinyConfig('phi3'), eos_token_id: [2, 7] }).eosTokenIds).toEqual([2, 7]);
  });

  it('rejects bad configs with a DecoderError naming the field and the file', () => {
    const bad: [Record<string, unknown>, RegExp, string][] = [
      [{ ...tinyConfig('phi3'), num_key_value_heads: 3 }, /'num_key_value_heads' \(3\) must divide/, 'num_key_value_heads'],
      [{ ...tinyConfig('phi3'), hidden_size: 18 }, /divisible by 'num_attention_heads'/, 'hidden_size'],
      [{ ...tinyConfig('phi3'), hidden_act: 'gelu' }, /'hidden_act' must be "silu" or "swish", got "gelu"/, 'hidden_act'],
      [{ ...tinyConfig('phi3'), rope_scaling: { type: 'longrope' } }, /'rope_scaling' is not supported/, 'rope_scaling'],
      [{ ...tinyConfig('phi3'), vocab_size: 0 }, /'vocab_size' must be > 0, got 0/, 'vocab_size'],
      [{ ...tinyConfig('phi3'), head_dim: 5 }, /head size \(5\) must be even/, 'head_dim'],
      [{ ...tinyConfig('phi3'), model_type: 'llama' }, /'model_type' must be "phi3" or "qwen2", got "llama"/, 'model_type'],
    ];
    for (const [json, msg, path] of bad) {
      expect(() => parseConfig(json, 'x/config.json')).toThrow(msg);
      expect(() => parseConfig(json, 'x/config.json')).toThrow(expect.objectContaining({ name: 'DecoderError', code: 'CONFIG', file: 'x/config.json', path }));
    }
    expect(() => parseConfig({}, 'x/config.json')).toThrow(expect.objectContaining({ code: 'CONFIG', file: 'x/config.json', path: 'model_type' }));
    expect(() => parseConfig({ ...tinyConfig('phi3'), vocab_size: 0 }, 'x/config.json')).toThrow(/\(file x\/config\.json, at vocab_size\)$/);
  });

  it('wrongly typed fields are errors, never reinterpreted (issue: "false" tied the weights, true meant eps 1, "248" never stopped)', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ tie_word_embeddings: 'false' }, 'tie_word_embeddings', /must be a boolean \(true or false\), got "false"/],
      [{ rms_norm_eps: true }, 'rms_norm_eps', /must be a number, got true/],
      [{ eos_token_id: '248' }, 'eos_token_id', /must be a number or a list, got "248"/],
      [{ eos_token_id: [2, '7'] }, 'eos_token_id[1]', /must be a number, got "7"/],
      [{ eos_token_id: 2.5 }, 'eos_token_id', /must be an integer|must be a number or a list/],
      [{ pad_token_id: -1 }, 'pad_token_id', /must be ≥ 0, got -1/],
      [{ bos_token_id: 2 ** 40 }, 'bos_token_id', /must be ≤ 2147483647/],
      [{ hidden_size: 1e12 }, 'hidden_size', /must be ≤ 2147483647, got 1000000000000/],
      [{ num_hidden_layers: '2' }, 'num_hidden_layers', /must be a number, got "2"/],
      [{ sliding_window: 0 }, 'sliding_window', /must be > 0/],
    ];
    for (const [over, path, msg] of cases) {
      const err = (() => {
        try {
          parseConfig({ ...tinyConfig('phi3'), ...over }, 'm/config.json');
        } catch (e) {
          return e;
        }
      })();
      expect(err, path).toBeInstanceOf(DecoderError);
      expect(err, path).toMatchObject({ code: 'CONFIG', path, file: 'm/config.json' });
      expect((err as Error).message, path).toMatch(msg);
    }
    for (const v of [null, [], 'config', 3]) expect(() => parseConfig(v, 'm/config.json')).toThrow(/a decoder config must be a JSON object/);
  });

  it('any mutation of a valid config gives a config or a CONFIG DecoderError naming the file (fuzz)', () => {
    const fields = Object.keys(tinyConfig('qwen2')).concat(['head_dim', 'sliding_window', 'use_sliding_window', 'hidden_act', 'rope_scaling', 'initializer_range']);
    fc.assert(
      fc.property(fc.constantFrom('phi3' as const, 'qwen2' as const), fc.dictionary(fc.constantFrom(...fields), fc.jsonValue(), { maxKeys: 3 }), (type, over) => {
        try {
          const c = parseConfig({ ...tinyConfig(type), ...over }, 'f/config.json');
          expect(c.vocabSize).toBeGreaterThan(0);
          expect(Number.isInteger(c.headDim) && c.headDim % 2 === 0).toBe(true);
          expect(typeof c.tieWordEmbeddings).toBe('boolean');
        } catch (e) {
          expect(e).toBeInstanceOf(DecoderError);
          expect(e).toMatchObject({ code: 'CONFIG', file: 'f/config.json' });
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('key map', () => {
  it('names every parameter a built model has, with its shape, in order; the count agrees (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('phi3' as const, 'qwen2' as const),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(1, 2, 4),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 9 }),
        (type, layers, heads, hdHalf, tied, vocab) => {
          const json = tinyConfig(type, { num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: heads, head_dim: 2 * hdHalf, hidden_size: 8, intermediate_size: 5, tie_word_embeddings: tied, vocab_size: vocab + 2 });
          const m = new DecoderLM(json, { init: false });
          const cfg = parseConfig(json);
          expect([...decoderKeyShapes(cfg)]).toEqual(m.namedParameters().map(([k, v]) => [k, v.shape]));
          expect(parameterCount(cfg)).toBe(m.numParameters());
          m.dispose();
        },
      ),
      { numRuns: 25 },
    );
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
