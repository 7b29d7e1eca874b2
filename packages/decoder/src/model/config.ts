import { z } from 'zod';
import { HealthGPTError, validateJson } from '@healthgpt/tensor-core/base';
import { DecoderError } from '../errors.js';

/** The architectures the decoder implements, by HF `model_type`. */
export type ModelType = 'phi3' | 'qwen2';

/**
 * A decoder configuration under HF `config.json` names. Unknown keys are kept and written back by
 * `savePretrained`, so a real checkpoint's config round-trips.
 */
export interface DecoderConfigJson {
  model_type: ModelType;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Defaults to `num_attention_heads` (no GQA). */
  num_key_value_heads?: number | null;
  /** Defaults to `hidden_size / num_attention_heads`. */
  head_dim?: number | null;
  /** Only `silu` (Phi-3, Qwen2). */
  hidden_act?: string;
  /** Phi-3 1e-5, Qwen2 1e-6. */
  rms_norm_eps?: number;
  /** Phi-3 1e4, Qwen2 1e6. */
  rope_theta?: number;
  /** Only `null` is supported (no LongRoPE / YaRN). */
  rope_scaling?: unknown;
  tie_word_embeddings?: boolean;
  max_position_embeddings?: number;
  /** Phi-3: keys more than this many positions behind the query are masked (null: none). */
  sliding_window?: number | null;
  /** Qwen2: `sliding_window` applies only when this is true. */
  use_sliding_window?: boolean;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  pad_token_id?: number | null;
  [key: string]: unknown;
}

/** The validated numbers a model is built from. */
export interface DecoderConfig {
  readonly modelType: ModelType;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly tieWordEmbeddings: boolean;
  /** Sliding attention window in positions, or null. */
  readonly slidingWindow: number | null;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: number[];
  readonly padTokenId: number | null;
  /** The config.json object this came from (with every unknown key). */
  readonly json: DecoderConfigJson;
}

/** Sizes are int32 (TensorFlow.js shapes); larger ones are refused by the schema, not by an allocation. */
const size = z.int().positive().max(2 ** 31 - 1);
const tokenId = z.int().nonnegative().max(2 ** 31 - 1);

/**
 * The schema of a decoder `config.json` (zod): every field type-checked, so `"false"` for a
 * boolean, `true` for a number or `"248"` for a token id is an error naming the field, never a
 * silent reinterpretation; then the cross-field rules; then HF's defaults. Unknown keys are kept.
 */
export const decoderConfigSchema = z
  .looseObject({
    model_type: z.enum(['phi3', 'qwen2']),
    vocab_size: size,
    hidden_size: size,
    intermediate_size: size,
    num_hidden_layers: size,
    num_attention_heads: size,
    num_key_value_heads: size.nullish(),
    head_dim: size.nullish(),
    hidden_act: z.enum(['silu', 'swish']).optional(),
    rms_norm_eps: z.number().positive().optional(),
    rope_theta: z.number().positive().optional(),
    rope_scaling: z.unknown().optional(),
    tie_word_embeddings: z.boolean().optional(),
    max_position_embeddings: size.optional(),
    sliding_window: size.nullable().optional(),
    use_sliding_window: z.boolean().optional(),
    bos_token_id: tokenId.nullable().optional(),
    eos_token_id: z.union([tokenId, z.array(tokenId)]).nullable().optional(),
    pad_token_id: tokenId.nullable().optional(),
    initializer_range: z.number().positive().optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const heads = c.num_attention_heads;
    const kv = c.num_key_value_heads ?? heads;
    if (heads % kv !== 0) issue('num_key_value_heads', `'num_key_value_heads' (${kv}) must divide 'num_attention_heads' (${heads})`);
    if (c.head_dim == null && c.hidden_size % heads !== 0) issue('hidden_size', `'hidden_size' (${c.hidden_size}) must be divisible by 'num_attention_heads' (${heads})`);
    const headDim = c.head_dim ?? c.hidden_size / heads;
    if (Number.isInteger(headDim) && headDim % 2 !== 0) issue(c.head_dim == null ? 'hidden_size' : 'head_dim', `the head size (${headDim}) must be even (rotary embeddings rotate pairs)`);
    if (c.rope_scaling != null) issue('rope_scaling', `'rope_scaling' is not supported (got ${JSON.stringify(c.rope_scaling)}); only plain RoPE (null)`);
  })
  .transform((c): DecoderConfig => {
    const json = c as DecoderConfigJson;
    const windowOn = c.model_type === 'phi3' || c.use_sliding_window === true;
    const eos = c.eos_token_id;
    return {
      modelType: c.model_type,
      vocabSize: c.vocab_size,
      hiddenSize: c.hidden_size,
      intermediateSize: c.intermediate_size,
      numLayers: c.num_hidden_layers,
      numHeads: c.num_attention_heads,
      numKvHeads: c.num_key_value_heads ?? c.num_attention_heads,
      headDim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
      rmsNormEps: c.rms_norm_eps ?? (c.model_type === 'qwen2' ? 1e-6 : 1e-5),
      ropeTheta: c.rope_theta ?? 10000,
      tieWordEmbeddings: c.tie_word_embeddings ?? false,
      slidingWindow: windowOn ? (c.sliding_window ?? null) : null,
      bosTokenId: c.bos_token_id ?? null,
      eosTokenIds: eos == null ? [] : Array.isArray(eos) ? [...eos] : [eos],
      padTokenId: c.pad_token_id ?? null,
      json: { ...json },
    };
  });

/** A tensor-core error (a config or folder problem) as a `DecoderError`, keeping it as the cause. */
export function toDecoderError(e: HealthGPTError): DecoderError {
  return new DecoderError(e.code === 'CONFIG' || e.code === 'TOO_LARGE' ? 'CONFIG' : 'CHECKPOINT', e.detail, { ...e.context, cause: e });
}

/**
 * Validate an HF `config.json` object and resolve its defaults (`decoderConfigSchema`); `source`
 * names the file in errors. A wrongly typed field is a `DecoderError` with `code: 'CONFIG'`.
 */
export function parseConfig(json: unknown, source?: string): DecoderConfig {
  try {
    return validateJson(decoderConfigSchema, json, { file: source, what: 'a decoder config' });
  } catch (e) {
    throw e instanceof HealthGPTError ? toDecoderError(e) : e;
  }
}

/** A copy of `config` with a new vocabulary size (after `extendVocabulary`). */
export function withVocabSize(config: DecoderConfig, vocabSize: number): DecoderConfig {
  DecoderError.check(Number.isInteger(vocabSize) && vocabSize > 0, 'ARGUMENT', `'vocabSize' passed to 'withVocabSize' must be a positive integer, got ${vocabSize}`);
  return { ...config, vocabSize, json: { ...config.json, vocab_size: vocabSize } };
}
