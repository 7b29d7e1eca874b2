import { z } from 'zod';
import { HealthGPTError, validateJson } from '@healthgpt/tensor-core/base';
import { VQTokenizerError } from './errors.js';

/** taming's `ddconfig` (the Encoder / Decoder hyper-parameters), under taming's names. */
export interface DDConfig {
  /** Encoder outputs 2·z_channels when true (KL autoencoders); always false for VQ models. */
  double_z: boolean;
  z_channels: number;
  /** Training image side in pixels; attention levels are chosen by comparing to it. */
  resolution: number;
  in_channels: number;
  out_ch: number;
  /** Base channel count; every level's width ch·ch_mult[i] must be a multiple of 32 (GroupNorm 32). */
  ch: number;
  /** Width multiplier per level; the image shrinks by 2^(levels−1). */
  ch_mult: number[];
  num_res_blocks: number;
  /** Resolutions (in pixels of the feature map) that get an AttnBlock after each ResnetBlock. */
  attn_resolutions: number[];
  /** Kept for taming compatibility; this package runs without dropout (must be 0). */
  dropout: number;
}

/** Which quantizer sits between encoder and decoder. */
export type QuantizerKind = 'gumbel' | 'vq';

/** The tokenizer's `config.json`: taming `model.yaml` params plus the quantizer kind. */
export interface VQConfig {
  model_type: 'gumbel_vq';
  /** `gumbel` (taming GumbelQuantize: `quantize.proj` + `quantize.embed`) or `vq` (VectorQuantizer: `quantize.embedding`). */
  quantizer: QuantizerKind;
  embed_dim: number;
  n_embed: number;
  /** Weight of the KL(q ‖ uniform) prior in GumbelVQ training. */
  kl_weight: number;
  /** Commitment weight β of straight-through VQ training. */
  beta: number;
  ddconfig: DDConfig;
}

/** Feature-map side after the encoder: resolution / 2^(levels−1). */
export function latentSize(cfg: Pick<DDConfig, 'resolution' | 'ch_mult'>): number {
  return cfg.resolution / 2 ** (cfg.ch_mult.length - 1);
}

const size = z.int().positive().max(2 ** 31 - 1);
const weight = z.number().min(0);

/** taming's `ddconfig` fields, each type-checked; missing ones take the f8 model's values. */
const ddConfigSchema = z.looseObject({
  double_z: z.boolean().optional(),
  z_channels: size.optional(),
  resolution: size.optional(),
  in_channels: size.optional(),
  out_ch: size.optional(),
  ch: size.optional(),
  ch_mult: z.array(size).min(1).max(31).optional(),
  num_res_blocks: size.optional(),
  attn_resolutions: z.array(size).optional(),
  dropout: z.number().optional(),
});

/**
 * The schema of the tokenizer's `config.json` (zod): every field type-checked, so a string for a
 * number or a number for a boolean is an error naming the field; then the defaults (taming's f8
 * model) and the cross-field rules. Unknown fields (taming's `target`, …) are dropped.
 */
export const vqConfigSchema = z
  .looseObject({
    model_type: z.literal('gumbel_vq').optional(),
    quantizer: z.enum(['gumbel', 'vq']).optional(),
    embed_dim: size.optional(),
    n_embed: size.optional(),
    kl_weight: weight.optional(),
    beta: weight.optional(),
    ddconfig: ddConfigSchema,
  })
  .transform((p): VQConfig => {
    const dd: DDConfig = {
      double_z: p.ddconfig.double_z ?? false,
      z_channels: p.ddconfig.z_channels ?? 256,
      resolution: p.ddconfig.resolution ?? 256,
      in_channels: p.ddconfig.in_channels ?? 3,
      out_ch: p.ddconfig.out_ch ?? 3,
      ch: p.ddconfig.ch ?? 128,
      ch_mult: [...(p.ddconfig.ch_mult ?? [1, 1, 2, 4])],
      num_res_blocks: p.ddconfig.num_res_blocks ?? 2,
      attn_resolutions: [...(p.ddconfig.attn_resolutions ?? [32])],
      dropout: p.ddconfig.dropout ?? 0,
    };
    return { model_type: 'gumbel_vq', quantizer: p.quantizer ?? 'gumbel', embed_dim: p.embed_dim ?? dd.z_channels, n_embed: p.n_embed ?? 8192, kl_weight: p.kl_weight ?? 1e-8, beta: p.beta ?? 0.25, ddconfig: dd };
  })
  .superRefine((c, ctx) => {
    const dd = c.ddconfig;
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (dd.double_z) issue(['ddconfig', 'double_z'], `'ddconfig.double_z' must be false for a VQ tokenizer`);
    if (dd.dropout !== 0) issue(['ddconfig', 'dropout'], `'ddconfig.dropout' must be 0 (dropout is not supported), got ${dd.dropout}`);
    for (const m of dd.ch_mult) if ((dd.ch * m) % 32 !== 0) issue(['ddconfig', 'ch_mult'], `level width ch·ch_mult = ${dd.ch * m} must be a multiple of 32 (GroupNorm has 32 groups)`);
    const f = 2 ** (dd.ch_mult.length - 1);
    if (dd.resolution % f !== 0) issue(['ddconfig', 'resolution'], `'ddconfig.resolution' ${dd.resolution} must be divisible by the downsampling factor ${f}`);
    if (c.quantizer === 'gumbel' && c.embed_dim !== dd.z_channels)
      issue(['embed_dim'], `'embed_dim' (${c.embed_dim}) must equal 'ddconfig.z_channels' (${dd.z_channels}) for the Gumbel quantizer (quantize.proj reads quant_conv's output)`);
  });

/** A tensor-core error (a config or folder problem) as a `VQTokenizerError`, keeping it as the cause. */
export function toVQError(e: HealthGPTError): VQTokenizerError {
  const code = e.code === 'CONFIG' || e.code === 'TOO_LARGE' ? 'CONFIG' : e.code === 'STATE_DICT' ? 'STATE_DICT' : 'CHECKPOINT';
  return new VQTokenizerError(code, e.detail, { ...e.context, cause: e });
}

function parse(value: unknown, file?: string): VQConfig {
  try {
    return validateJson(vqConfigSchema, value, { file, what: 'a VQ tokenizer config' });
  } catch (e) {
    throw e instanceof HealthGPTError ? toVQError(e) : e;
  }
}

/** Fill defaults and validate (`vqConfigSchema`); every error is a `CONFIG` error naming the field (and `file`). */
export function makeConfig(partial: Partial<Omit<VQConfig, 'ddconfig'>> & { ddconfig: Partial<DDConfig> }, file?: string): VQConfig {
  return parse(partial, file);
}

/** Throw a `VQTokenizerError` (`CONFIG`) naming the first wrongly typed or inconsistent field. */
export function validateConfig(cfg: VQConfig): void {
  parse(cfg);
}

/** Named configurations: the released f8-8192 model and small ones for demos and tests. */
export const PRESETS = {
  /** taming "VQGAN OpenImages (f=8), 8192, GumbelQuantization", the codec HealthGPT uses: 256 px → 32×32 codes. */
  f8_8192: (): VQConfig =>
    makeConfig({ embed_dim: 256, n_embed: 8192, kl_weight: 1e-8, ddconfig: { z_channels: 256, resolution: 256, ch: 128, ch_mult: [1, 1, 2, 4], num_res_blocks: 2, attn_resolutions: [32] } }),
  /** 64 px → 8×8 codes (f = 8), 128 codes: the demo tokenizer trained from scratch. */
  f8_64px: (): VQConfig =>
    makeConfig({ embed_dim: 64, n_embed: 128, kl_weight: 5e-4, ddconfig: { z_channels: 64, resolution: 64, ch: 32, ch_mult: [1, 1, 2, 2], num_res_blocks: 1, attn_resolutions: [8] } }),
  /** 32 px → 8×8 codes (f = 4), for quick tests. */
  tiny: (): VQConfig =>
    makeConfig({ embed_dim: 32, n_embed: 32, kl_weight: 5e-4, ddconfig: { z_channels: 32, resolution: 32, ch: 32, ch_mult: [1, 1, 1], num_res_blocks: 1, attn_resolutions: [8] } }),
} as const;

export type PresetName = keyof typeof PRESETS;
