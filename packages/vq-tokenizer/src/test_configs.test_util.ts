import { makeConfig, type VQConfig } from './config.js';

/** The golden fixture's shape (16 px, f = 2, 16 codes): small enough for every backend. */
export const tinyConfig = (over: Partial<VQConfig> = {}): VQConfig =>
  makeConfig({ embed_dim: 8, n_embed: 16, kl_weight: 1e-3, ...over, ddconfig: { z_channels: 8, resolution: 16, ch: 32, ch_mult: [1, 2], num_res_blocks: 1, attn_resolutions: [8] } });

/** Smaller still for training tests (8 px, f = 2, no attention). */
export const trainConfig = (over: Partial<VQConfig> = {}): VQConfig =>
  makeConfig({ embed_dim: 8, n_embed: 16, kl_weight: 1e-3, ...over, ddconfig: { z_channels: 8, resolution: 8, ch: 32, ch_mult: [1, 1], num_res_blocks: 1, attn_resolutions: [] } });
