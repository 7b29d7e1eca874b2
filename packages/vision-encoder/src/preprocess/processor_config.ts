import { VisionEncoderError } from '../errors.js';

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

const fail = (msg: string, file?: string): never => {
  throw new VisionEncoderError('CONFIG', msg, { file });
};

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

/** Complete and validate a (partial) `preprocessor_config.json`; unknown fields are dropped. */
export function resolveImageProcessorConfig(partial: Partial<CLIPImageProcessorConfig> | Record<string, unknown> = {}, file?: string): CLIPImageProcessorConfig {
  const p = partial as Partial<CLIPImageProcessorConfig>;
  // Older files (CLIPFeatureExtractor) store `size` and `crop_size` as plain numbers.
  const size = typeof p.size === 'number' ? { shortest_edge: p.size } : (p.size ?? { shortest_edge: 336 });
  const crop = typeof p.crop_size === 'number' ? { height: p.crop_size, width: p.crop_size } : (p.crop_size ?? { height: size.shortest_edge, width: size.shortest_edge });
  const cfg: CLIPImageProcessorConfig = {
    image_processor_type: 'CLIPImageProcessor',
    do_resize: p.do_resize ?? true,
    size: { shortest_edge: size.shortest_edge },
    resample: p.resample ?? 3,
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
  if (!posInt(cfg.size.shortest_edge)) fail(`'size.shortest_edge' must be a positive integer, got ${JSON.stringify(cfg.size.shortest_edge)}`, file);
  if (!posInt(cfg.crop_size.height) || !posInt(cfg.crop_size.width)) fail(`'crop_size' must hold positive integer height and width, got ${JSON.stringify(cfg.crop_size)}`, file);
  if (cfg.resample !== 3) fail(`'resample' must be 3 (BICUBIC), the only filter supported, got ${JSON.stringify(cfg.resample)}`, file);
  if (!(cfg.rescale_factor > 0)) fail(`'rescale_factor' must be positive, got ${cfg.rescale_factor}`, file);
  for (const k of ['image_mean', 'image_std'] as const)
    if (cfg[k].length !== 3 || !cfg[k].every((v) => Number.isFinite(v))) fail(`'${k}' must hold 3 finite numbers, got ${JSON.stringify(cfg[k])}`, file);
  if (!cfg.image_std.every((v) => v > 0)) fail(`'image_std' must be positive, got ${JSON.stringify(cfg.image_std)}`, file);
  return cfg;
}
