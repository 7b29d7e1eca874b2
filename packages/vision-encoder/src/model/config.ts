import { z } from 'zod';
import { HealthGPTError, validateJson, type ConfigSchema } from '@healthgpt/tensor-core/base';
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

const size = z.int().positive().max(2 ** 31 - 1);
const positive = z.number().positive();
const probability = z.number().min(0).lt(1);
const ACTIVATIONS = ['quick_gelu', 'gelu', 'gelu_pytorch_tanh', 'gelu_new', 'silu', 'swish', 'relu'] as const;

/**
 * The schema of a `CLIPVisionConfig` (zod): every field type-checked (a missing or null field
 * takes HF's default), the cross-field rules, then the complete config; unknown fields dropped.
 */
export const visionConfigSchema = z
  .looseObject({
    model_type: z.literal('clip_vision_model').optional(),
    hidden_size: size.nullish(),
    intermediate_size: size.nullish(),
    projection_dim: size.nullish(),
    num_hidden_layers: size.nullish(),
    num_attention_heads: size.nullish(),
    num_channels: size.nullish(),
    image_size: size.nullish(),
    patch_size: size.nullish(),
    hidden_act: z.enum(ACTIVATIONS).nullish(),
    layer_norm_eps: positive.nullish(),
    attention_dropout: probability.nullish(),
    dropout: probability.nullish(),
    initializer_range: positive.nullish(),
    initializer_factor: positive.nullish(),
  })
  .transform((src): CLIPVisionConfig => {
    const cfg = { ...CLIP_VISION_DEFAULTS } as Record<string, unknown>;
    for (const k of Object.keys(CLIP_VISION_DEFAULTS)) if ((src as Record<string, unknown>)[k] != null) cfg[k] = (src as Record<string, unknown>)[k];
    cfg.model_type = 'clip_vision_model';
    return cfg as unknown as CLIPVisionConfig;
  })
  .superRefine((c, ctx) => {
    if (c.hidden_size % c.num_attention_heads !== 0)
      ctx.addIssue({ code: 'custom', path: ['hidden_size'], message: `hidden_size (${c.hidden_size}) must be divisible by num_attention_heads (${c.num_attention_heads})` });
    if (c.image_size % c.patch_size !== 0) ctx.addIssue({ code: 'custom', path: ['image_size'], message: `image_size (${c.image_size}) must be a multiple of patch_size (${c.patch_size})` });
  });

/** A full HF `CLIPConfig` (both towers): only its `vision_config` is read. */
const clipConfigSchema = z.looseObject({ model_type: z.literal('clip').optional(), vision_config: visionConfigSchema }).transform((c) => c.vision_config);

const hasVisionConfig = (v: unknown) => v !== null && typeof v === 'object' && 'vision_config' in v;

/** What a CLIP `config.json` may hold: a `CLIPVisionConfig`, or a `CLIPConfig` whose `vision_config` is one. */
export const clipConfigFileSchema: ConfigSchema<CLIPVisionConfig> = {
  safeParse: (data) => (hasVisionConfig(data) ? clipConfigSchema : visionConfigSchema).safeParse(data),
};

/** A tensor-core error (a config or folder problem) as a `VisionEncoderError`, keeping it as the cause. */
export function toVisionError(e: HealthGPTError): VisionEncoderError {
  const code = e.code === 'CONFIG' || e.code === 'TOO_LARGE' ? 'CONFIG' : e.code === 'STATE_DICT' ? 'STATE_DICT' : 'CHECKPOINT';
  return new VisionEncoderError(code, e.detail, { ...e.context, cause: e });
}

/**
 * A complete, validated config from a partial one. Accepts a `CLIPVisionConfig` or a full HF
 * `CLIPConfig` (`{ model_type: 'clip', vision_config: {...} }`); unknown fields are dropped. A
 * wrongly typed or inconsistent field is a `VisionEncoderError` (`CONFIG`) naming it.
 */
export function resolveVisionConfig(partial: Partial<CLIPVisionConfig> | Record<string, unknown> = {}, file?: string): CLIPVisionConfig {
  try {
    return validateJson(clipConfigFileSchema, partial, { file, what: 'a CLIP config' });
  } catch (e) {
    throw e instanceof HealthGPTError ? toVisionError(e) : e;
  }
}

/** Throw a `VisionEncoderError` naming the first wrongly typed or inconsistent field. */
export function validateVisionConfig(c: CLIPVisionConfig, file?: string): void {
  resolveVisionConfig(c, file);
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
