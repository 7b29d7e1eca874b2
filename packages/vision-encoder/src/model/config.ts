import { activation } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';

/**
 * HF `CLIPVisionConfig`, under its `config.json` field names (so a config file round-trips as is).
 * Only the fields the vision tower uses are required; the rest keep HF's defaults.
 */
export interface CLIPVisionConfig {
  model_type: 'clip_vision_model';
  /** Width D of every token. */
  hidden_size: number;
  /** Width of the MLP's hidden layer (usually 4·D). */
  intermediate_size: number;
  /** Width of CLIPModel's visual projection (unused by the tower; kept for HF compatibility). */
  projection_dim: number;
  /** Number of encoder layers L; the forward returns L + 1 hidden states. */
  num_hidden_layers: number;
  /** Attention heads; must divide hidden_size. */
  num_attention_heads: number;
  /** Image channels (3 for RGB). */
  num_channels: number;
  /** Input resolution S (square); must be a multiple of patch_size. */
  image_size: number;
  /** Patch side p; the tower sees (S/p)² patch tokens plus CLS. */
  patch_size: number;
  /** MLP activation, an HF name (CLIP uses quick_gelu). */
  hidden_act: string;
  layer_norm_eps: number;
  attention_dropout: number;
  dropout: number;
  /** Std of the normal init of patch and position embeddings (HF `_init_weights`). */
  initializer_range: number;
  /** Multiplier on every init std (HF `initializer_factor`). */
  initializer_factor: number;
}

export const CLIP_VISION_DEFAULTS: CLIPVisionConfig = {
  model_type: 'clip_vision_model',
  hidden_size: 768,
  intermediate_size: 3072,
  projection_dim: 512,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  num_channels: 3,
  image_size: 224,
  patch_size: 32,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  attention_dropout: 0,
  dropout: 0,
  initializer_range: 0.02,
  initializer_factor: 1,
};

const NUMERIC_FIELDS = [
  'hidden_size',
  'intermediate_size',
  'projection_dim',
  'num_hidden_layers',
  'num_attention_heads',
  'num_channels',
  'image_size',
  'patch_size',
] as const;

const fail = (msg: string, file?: string): never => {
  throw new VisionEncoderError('CONFIG', msg, { file });
};

/**
 * A complete, validated config from a partial one. Accepts a `CLIPVisionConfig` or a full HF
 * `CLIPConfig` (`{ model_type: 'clip', vision_config: {...} }`); unknown fields are dropped.
 */
export function resolveVisionConfig(partial: Partial<CLIPVisionConfig> | Record<string, unknown> = {}, file?: string): CLIPVisionConfig {
  let src = partial as Record<string, unknown>;
  if (src.vision_config !== undefined) {
    if (typeof src.vision_config !== 'object' || src.vision_config === null) fail(`'vision_config' must be an object`, file);
    src = src.vision_config as Record<string, unknown>;
  }
  if (src.model_type !== undefined && src.model_type !== 'clip_vision_model')
    fail(`'model_type' must be 'clip_vision_model' (or a 'clip' config with 'vision_config'), got '${String(src.model_type)}'`, file);
  const cfg = { ...CLIP_VISION_DEFAULTS } as unknown as Record<string, unknown>;
  for (const k of Object.keys(CLIP_VISION_DEFAULTS)) if (src[k] !== undefined && src[k] !== null) cfg[k] = src[k];
  cfg.model_type = 'clip_vision_model';
  validateVisionConfig(cfg as unknown as CLIPVisionConfig, file);
  return cfg as unknown as CLIPVisionConfig;
}

/** Throw a `VisionEncoderError` naming the first inconsistent field. */
export function validateVisionConfig(c: CLIPVisionConfig, file?: string): void {
  for (const k of NUMERIC_FIELDS)
    if (!Number.isInteger(c[k]) || c[k] <= 0) fail(`config field '${k}' must be a positive integer, got ${JSON.stringify(c[k])}`, file);
  if (c.hidden_size % c.num_attention_heads !== 0)
    fail(`config: hidden_size (${c.hidden_size}) must be divisible by num_attention_heads (${c.num_attention_heads})`, file);
  if (c.image_size % c.patch_size !== 0) fail(`config: image_size (${c.image_size}) must be a multiple of patch_size (${c.patch_size})`, file);
  try {
    activation(c.hidden_act);
  } catch {
    fail(`config field 'hidden_act' must name a known activation (quick_gelu, gelu, gelu_pytorch_tanh, gelu_new, silu, swish, relu), got ${JSON.stringify(c.hidden_act)}`, file);
  }
  for (const k of ['layer_norm_eps', 'initializer_range', 'initializer_factor'] as const)
    if (typeof c[k] !== 'number' || !(c[k] > 0)) fail(`config field '${k}' must be a positive number, got ${JSON.stringify(c[k])}`, file);
  for (const k of ['attention_dropout', 'dropout'] as const)
    if (typeof c[k] !== 'number' || c[k] < 0 || c[k] >= 1) fail(`config field '${k}' must be in [0, 1), got ${JSON.stringify(c[k])}`, file);
}

/** Patches per side, S/p. */
export const gridSize = (c: CLIPVisionConfig): number => c.image_size / c.patch_size;

/** Patch tokens, (S/p)²; the sequence is one longer (CLS). */
export const numPatches = (c: CLIPVisionConfig): number => gridSize(c) ** 2;

/**
 * Parameter count of the tower from its config alone (no tensors made):
 * embeddings D + D·C·p² + (N+1)·D, two LayerNorms 4D, and per layer 4(D² + D) + 4D + 2·D·I + I + D.
 */
export function visionParameterCount(c: CLIPVisionConfig): number {
  const d = c.hidden_size;
  const i = c.intermediate_size;
  const embeddings = d + d * c.num_channels * c.patch_size ** 2 + (numPatches(c) + 1) * d;
  const layer = 4 * (d * d + d) + 4 * d + (i * d + i) + (d * i + d);
  return embeddings + 4 * d + c.num_hidden_layers * layer;
}

/** The JSON HF writes for a CLIPVisionModel (`architectures` first). */
export function visionConfigToJSON(c: CLIPVisionConfig): Record<string, unknown> {
  return { architectures: ['CLIPVisionModel'], ...c, torch_dtype: 'float32' };
}
