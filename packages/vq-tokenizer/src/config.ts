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

/** Fill defaults and validate; every error names the offending field. */
export function makeConfig(partial: Partial<Omit<VQConfig, 'ddconfig'>> & { ddconfig: Partial<DDConfig> }): VQConfig {
  const dd: DDConfig = {
    double_z: false,
    z_channels: 256,
    resolution: 256,
    in_channels: 3,
    out_ch: 3,
    ch: 128,
    ch_mult: [1, 1, 2, 4],
    num_res_blocks: 2,
    attn_resolutions: [32],
    dropout: 0,
    ...partial.ddconfig,
  };
  const cfg: VQConfig = {
    model_type: 'gumbel_vq',
    quantizer: 'gumbel',
    embed_dim: dd.z_channels,
    n_embed: 8192,
    kl_weight: 1e-8,
    beta: 0.25,
    ...partial,
    ddconfig: dd,
  };
  validateConfig(cfg);
  return cfg;
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

export function validateConfig(cfg: VQConfig): void {
  const dd = cfg.ddconfig;
  const need = (cond: unknown, path: string, message: string) => VQTokenizerError.check(cond, 'CONFIG', message, { path });
  need(cfg.quantizer === 'gumbel' || cfg.quantizer === 'vq', 'quantizer', `the quantizer must be 'gumbel' or 'vq', got '${cfg.quantizer}'`);
  for (const k of ['embed_dim', 'n_embed'] as const) need(posInt(cfg[k]), k, `must be a positive integer, got ${cfg[k]}`);
  for (const k of ['z_channels', 'resolution', 'in_channels', 'out_ch', 'ch', 'num_res_blocks'] as const)
    need(posInt(dd[k]), `ddconfig.${k}`, `must be a positive integer, got ${dd[k]}`);
  need(dd.double_z === false, 'ddconfig.double_z', `must be false for a VQ tokenizer`);
  need(dd.dropout === 0, 'ddconfig.dropout', `must be 0 (dropout is not supported), got ${dd.dropout}`);
  need(Array.isArray(dd.ch_mult) && dd.ch_mult.length > 0 && dd.ch_mult.every(posInt), 'ddconfig.ch_mult', `must be a non-empty list of positive integers, got ${JSON.stringify(dd.ch_mult)}`);
  need(Array.isArray(dd.attn_resolutions), 'ddconfig.attn_resolutions', `must be a list, got ${JSON.stringify(dd.attn_resolutions)}`);
  for (const m of dd.ch_mult) need((dd.ch * m) % 32 === 0, 'ddconfig.ch_mult', `level width ch·ch_mult = ${dd.ch * m} must be a multiple of 32 (GroupNorm has 32 groups)`);
  const f = 2 ** (dd.ch_mult.length - 1);
  need(dd.resolution % f === 0, 'ddconfig.resolution', `resolution ${dd.resolution} must be divisible by the downsampling factor ${f}`);
  if (cfg.quantizer === 'gumbel')
    need(cfg.embed_dim === dd.z_channels, 'embed_dim', `embed_dim (${cfg.embed_dim}) must equal ddconfig.z_channels (${dd.z_channels}) for the Gumbel quantizer (quantize.proj reads quant_conv's output)`);
  need(Number.isFinite(cfg.kl_weight) && cfg.kl_weight >= 0, 'kl_weight', `must be ≥ 0, got ${cfg.kl_weight}`);
  need(Number.isFinite(cfg.beta) && cfg.beta >= 0, 'beta', `must be ≥ 0, got ${cfg.beta}`);
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
