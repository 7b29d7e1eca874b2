import { DecoderError } from '../errors.js';
import { parseConfig, type DecoderConfig, type DecoderConfigJson } from './config.js';

const PHI3_COMMON = { model_type: 'phi3', hidden_act: 'silu', rms_norm_eps: 1e-5, rope_scaling: null, tie_word_embeddings: false, attention_bias: false } as const;
const QWEN2_COMMON = { model_type: 'qwen2', hidden_act: 'silu', rms_norm_eps: 1e-6, rope_scaling: null, use_sliding_window: false, tie_word_embeddings: false } as const;

/**
 * Named configurations. The real shapes (for users with the released weights; never built in
 * tests) and small ones for tests, demos and from-scratch training.
 */
export const PRESETS = {
  /** microsoft/Phi-3-mini-4k-instruct (HealthGPT-M3). */
  'phi3-mini-4k': { ...PHI3_COMMON, vocab_size: 32064, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, rope_theta: 10000, max_position_embeddings: 4096, sliding_window: 2047, bos_token_id: 1, eos_token_id: 32000, pad_token_id: 32000 },
  /** microsoft/phi-4 (HealthGPT-L14), loaded with the Phi-3 classes. */
  'phi-4': { ...PHI3_COMMON, vocab_size: 100352, hidden_size: 5120, intermediate_size: 17920, num_hidden_layers: 40, num_attention_heads: 40, num_key_value_heads: 10, rope_theta: 250000, max_position_embeddings: 16384, sliding_window: null, bos_token_id: 100257, eos_token_id: 100265, pad_token_id: 100349 },
  /** Qwen/Qwen2.5-32B-Instruct (HealthGPT-XL32). */
  'qwen2.5-32b': { ...QWEN2_COMMON, vocab_size: 152064, hidden_size: 5120, intermediate_size: 27648, num_hidden_layers: 64, num_attention_heads: 40, num_key_value_heads: 8, rope_theta: 1000000, max_position_embeddings: 32768, sliding_window: 131072, bos_token_id: 151643, eos_token_id: 151645 },
  /** The golden fixtures' shapes. */
  'phi3-tiny': { ...PHI3_COMMON, vocab_size: 320, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 10000, max_position_embeddings: 128, sliding_window: null, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
  'qwen2-tiny': { ...QWEN2_COMMON, vocab_size: 320, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 1000000, max_position_embeddings: 128, sliding_window: null, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
  /** ~48 M parameters: a from-scratch model trainable on a CPU, and the benchmark's larger size. */
  'phi3-small-50m': { ...PHI3_COMMON, vocab_size: 16384, hidden_size: 512, intermediate_size: 1536, num_hidden_layers: 10, num_attention_heads: 8, num_key_value_heads: 4, rope_theta: 10000, max_position_embeddings: 2048, sliding_window: null, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
} as const satisfies Record<string, DecoderConfigJson>;

export type PresetName = keyof typeof PRESETS;

/** A fresh copy of a preset's config.json object. */
export function preset(name: PresetName): DecoderConfigJson {
  const p = (PRESETS as Record<string, DecoderConfigJson>)[name];
  if (!p) throw new DecoderError('CONFIG', `unknown preset '${name}' (expected one of ${Object.keys(PRESETS).join(', ')})`);
  return { ...p };
}

/** The parameter count of a config, computed from its shapes without building the model. */
export function parameterCount(config: DecoderConfig | DecoderConfigJson): number {
  const c = 'modelType' in config ? (config as DecoderConfig) : parseConfig(config as DecoderConfigJson);
  const { hiddenSize: d, intermediateSize: i, numHeads: h, numKvHeads: kv, headDim: hd, vocabSize: v } = c;
  const qkv = d * (h + 2 * kv) * hd + (c.modelType === 'qwen2' ? (h + 2 * kv) * hd : 0);
  const perLayer = qkv + h * hd * d + 3 * d * i + 2 * d;
  return v * d * (c.tieWordEmbeddings ? 1 : 2) + c.numLayers * perLayer + d;
}
