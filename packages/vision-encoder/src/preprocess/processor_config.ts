import { z } from 'zod';
import { HealthGPTError, validateJson } from '@healthgpt/tensor-core/base';
import { toVisionError } from '../model/config.js';

/**
 * HF `CLIPImageProcessor` settings under their `preprocessor_config.json` names, plus
 * HealthGPT's `pad_to_square` (its `image_aspect_ratio = 'pad'`: expand2square first).
 */
export interface CLIPImageProcessorConfig {
  image_processor_type: 'CLIPImageProcessor';
  do_resize: boolean;
  /** Resize so the shorter side is `shortest_edge` (Pillow bicubic). */
  size: { shortest_edge: number };
  /** 3 = PIL BICUBIC, the only filter supported. */
  resample: 3;
  do_center_crop: boolean;
  crop_size: { height: number; width: number };
  do_rescale: boolean;
  rescale_factor: number;
  do_normalize: boolean;
  image_mean: [number, number, number];
  image_std: [number, number, number];
  do_convert_rgb: boolean;
  /** HealthGPT: pad to a square with the mean colour before resizing (default true). */
  pad_to_square: boolean;
}

export const CLIP_IMAGE_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_IMAGE_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** The processor of a CLIP tower at `imageSize` px (336 for HealthGPT's ViT-L/14-336). */
export function clipImageProcessorConfig(imageSize = 336, overrides: Partial<CLIPImageProcessorConfig> = {}): CLIPImageProcessorConfig {
  return resolveImageProcessorConfig({
    size: { shortest_edge: imageSize },
    crop_size: { height: imageSize, width: imageSize },
    ...overrides,
  });
}

/** The largest image side a processor config may ask for (pixels), so a config cannot demand unbounded memory. */
export const MAX_PROCESSOR_SIDE = 16384;

const side = z.int().positive().max(MAX_PROCESSOR_SIDE);
const finite = z.number();

/**
 * The schema of a `preprocessor_config.json` (zod): every field type-checked (so `do_resize:
 * "false"` is an error naming the field, not a truthy string), older CLIPFeatureExtractor forms
 * (`size` and `crop_size` as plain numbers) accepted, HF's defaults filled, unknown fields dropped.
 */
export const imageProcessorConfigSchema = z
  .looseObject({
    do_resize: z.boolean().optional(),
    size: z.union([side, z.looseObject({ shortest_edge: side })]).optional(),
    resample: z.int().optional(),
    do_center_crop: z.boolean().optional(),
    crop_size: z.union([side, z.looseObject({ height: side, width: side })]).optional(),
    do_rescale: z.boolean().optional(),
    rescale_factor: z.number().positive().optional(),
    do_normalize: z.boolean().optional(),
    image_mean: z.tuple([finite, finite, finite]).optional(),
    image_std: z.tuple([finite, finite, finite]).optional(),
    do_convert_rgb: z.boolean().optional(),
    pad_to_square: z.boolean().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.resample !== undefined && p.resample !== 3)
      ctx.addIssue({ code: 'custom', path: ['resample'], message: `'resample' must be 3 (BICUBIC), the only filter supported, got ${p.resample}` });
    if (p.image_std && !p.image_std.every((v) => v > 0)) ctx.addIssue({ code: 'custom', path: ['image_std'], message: `'image_std' must be positive, got ${JSON.stringify(p.image_std)}` });
  })
  .transform((p): CLIPImageProcessorConfig => {
    const size = typeof p.size === 'number' ? p.size : (p.size?.shortest_edge ?? 336);
    const crop = typeof p.crop_size === 'number' ? { height: p.crop_size, width: p.crop_size } : (p.crop_size ?? { height: size, width: size });
    return {
      image_processor_type: 'CLIPImageProcessor',
      do_resize: p.do_resize ?? true,
      size: { shortest_edge: size },
      resample: 3,
      do_center_crop: p.do_center_crop ?? true,
      crop_size: { height: crop.height, width: crop.width },
      do_rescale: p.do_rescale ?? true,
      rescale_factor: p.rescale_factor ?? 1 / 255,
      do_normalize: p.do_normalize ?? true,
      image_mean: [...(p.image_mean ?? CLIP_IMAGE_MEAN)] as [number, number, number],
      image_std: [...(p.image_std ?? CLIP_IMAGE_STD)] as [number, number, number],
      do_convert_rgb: p.do_convert_rgb ?? true,
      pad_to_square: p.pad_to_square ?? true,
    };
  });

/** Complete and validate a (partial) `preprocessor_config.json`; unknown fields are dropped. */
export function resolveImageProcessorConfig(partial: Partial<CLIPImageProcessorConfig> | Record<string, unknown> = {}, file?: string): CLIPImageProcessorConfig {
  try {
    return validateJson(imageProcessorConfigSchema, partial, { file, what: 'an image processor config' });
  } catch (e) {
    throw e instanceof HealthGPTError ? toVisionError(e) : e;
  }
}
