import { VisionEncoderError } from '../errors.js';
import { resolveVisionConfig, type CLIPVisionConfig } from './config.js';

/**
 * Named tower shapes. `clip-vit-large-patch14-336` is the reference's frozen tower
 * (openai/clip-vit-large-patch14-336: 24 layers, 1024 wide, 576 patches); the small ones are for
 * training from scratch on the synthetic set.
 */
const PRESETS = {
  /** openai/clip-vit-large-patch14-336: HealthGPT's tower, ≈303.6 M parameters. */
  'clip-vit-large-patch14-336': { hidden_size: 1024, intermediate_size: 4096, projection_dim: 768, num_hidden_layers: 24, num_attention_heads: 16, image_size: 336, patch_size: 14 },
  /** openai/clip-vit-large-patch14 (224 px). */
  'clip-vit-large-patch14': { hidden_size: 1024, intermediate_size: 4096, projection_dim: 768, num_hidden_layers: 24, num_attention_heads: 16, image_size: 224, patch_size: 14 },
  /** openai/clip-vit-base-patch16: the ViT-B/16 shape (224 px, 196 patches). */
  'clip-vit-base-patch16': { hidden_size: 768, intermediate_size: 3072, projection_dim: 512, num_hidden_layers: 12, num_attention_heads: 12, image_size: 224, patch_size: 16 },
  /** From scratch, 64 px: 8×8 patches of 8 px, 4 layers of width 128. */
  small: { hidden_size: 128, intermediate_size: 512, projection_dim: 128, num_hidden_layers: 4, num_attention_heads: 4, image_size: 64, patch_size: 8 },
  /** The golden fixture's shape: 32 px, 4×4 patches, 3 layers of width 48. */
  tiny: { hidden_size: 48, intermediate_size: 96, projection_dim: 48, num_hidden_layers: 3, num_attention_heads: 4, image_size: 32, patch_size: 8 },
} satisfies Record<string, Partial<CLIPVisionConfig>>;

export type VisionPresetName = keyof typeof PRESETS;

export const VISION_PRESETS = Object.keys(PRESETS) as VisionPresetName[];

/** The config of a preset, with `overrides` applied (e.g. `{ num_hidden_layers: 2 }`). */
export function visionPreset(name: VisionPresetName, overrides: Partial<CLIPVisionConfig> = {}): CLIPVisionConfig {
  const base = (PRESETS as Record<string, Partial<CLIPVisionConfig>>)[name];
  if (!base) throw new VisionEncoderError('CONFIG', `unknown vision preset '${name}' (expected one of ${VISION_PRESETS.join(', ')})`);
  return resolveVisionConfig({ ...base, ...overrides });
}
