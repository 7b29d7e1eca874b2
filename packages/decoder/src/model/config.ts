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
  num_key_value_heads?: number;
  /** Defaults to `hidden_size / num_attention_heads`. */
  head_dim?: number;
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

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

/** Validate an HF `config.json` object and resolve its defaults; `source` names the file in errors. */
export function parseConfig(json: Record<string, unknown>, source = 'config'): DecoderConfig {
  const fail = (msg: string, path?: string): never => {
    throw new DecoderError('CONFIG', msg, { file: source, path });
  };
  const t = json.model_type;
  if (t !== 'phi3' && t !== 'qwen2') fail(`'model_type' must be 'phi3' or 'qwen2', got ${JSON.stringify(t)}`, 'model_type');
  for (const k of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads'])
    if (!posInt(json[k])) fail(`'${k}' must be a positive integer, got ${JSON.stringify(json[k])}`, k);
  const c = json as DecoderConfigJson;
  const heads = c.num_attention_heads;
  const kvHeads = c.num_key_value_heads ?? heads;
  if (!posInt(kvHeads) || heads % kvHeads !== 0) fail(`'num_key_value_heads' (${kvHeads}) must divide 'num_attention_heads' (${heads})`, 'num_key_value_heads');
  if (c.head_dim === undefined && c.hidden_size % heads !== 0) fail(`'hidden_size' (${c.hidden_size}) must be divisible by 'num_attention_heads' (${heads})`, 'hidden_size');
  const headDim = c.head_dim ?? c.hidden_size / heads;
  if (!posInt(headDim) || headDim % 2 !== 0) fail(`'head_dim' must be a positive even integer, got ${headDim}`, 'head_dim');
  const act = c.hidden_act ?? 'silu';
  if (act !== 'silu' && act !== 'swish') fail(`'hidden_act' must be 'silu', got '${act}'`, 'hidden_act');
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) fail(`'rope_scaling' is not supported (got ${JSON.stringify(c.rope_scaling)}); only plain RoPE`, 'rope_scaling');
  const theta = c.rope_theta ?? 10000;
  if (!(theta > 0)) fail(`'rope_theta' must be positive, got ${theta}`, 'rope_theta');
  const eps = c.rms_norm_eps ?? (t === 'qwen2' ? 1e-6 : 1e-5);
  if (!(eps > 0)) fail(`'rms_norm_eps' must be positive, got ${eps}`, 'rms_norm_eps');
  const windowOn = t === 'phi3' || c.use_sliding_window === true;
  const sw = windowOn ? (c.sliding_window ?? null) : null;
  if (sw !== null && !posInt(sw)) fail(`'sliding_window' must be a positive integer or null, got ${sw}`, 'sliding_window');
  const eos = c.eos_token_id;
  return {
    modelType: t as ModelType,
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads: heads,
    numKvHeads: kvHeads,
    headDim,
    rmsNormEps: eps,
    ropeTheta: theta,
    tieWordEmbeddings: c.tie_word_embeddings ?? false,
    slidingWindow: sw,
    bosTokenId: c.bos_token_id ?? null,
    eosTokenIds: eos === undefined || eos === null ? [] : Array.isArray(eos) ? eos : [eos],
    padTokenId: c.pad_token_id ?? null,
    json: { ...c },
  };
}

/** A copy of `config` with a new vocabulary size (after `extendVocabulary`). */
export function withVocabSize(config: DecoderConfig, vocabSize: number): DecoderConfig {
  DecoderError.check(posInt(vocabSize), 'ARGUMENT', `'vocabSize' passed to 'withVocabSize' must be a positive integer, got ${vocabSize}`);
  return { ...config, vocabSize, json: { ...config.json, vocab_size: vocabSize } };
}
