import { tf, type RawImage, type Tensor } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';
import { toRgb8, validateRawImage, checkPixels, type Rgb8Image } from './rgb8.js';
import { expand2square, meanColour } from './expand2square.js';
import { resizeBicubic } from './pillow_bicubic.js';
import { resolveImageProcessorConfig, type CLIPImageProcessorConfig } from './processor_config.js';

/** Every step of one image's preprocessing (for inspection and tests). */
export interface PreprocessSteps {
  /** After conversion to 8-bit RGB and, when `pad_to_square`, expand2square. */
  square: Rgb8Image;
  /** After the Pillow bicubic resize and the centre crop. */
  resized: Rgb8Image;
  /** [3, H, W] float32, rescaled and normalised, CHW. */
  pixelValues: Float32Array;
}

/** HF `get_resize_output_image_size` for `shortest_edge`: short side → size, long side scaled and truncated. */
function resizeTarget(w: number, h: number, size: number): [number, number] {
  if (w <= h) return [size, Math.trunc((size * h) / w)];
  return [Math.trunc((size * w) / h), size];
}

/** HF `center_crop` to [height, width]: top = (H − h) // 2, left = (W − w) // 2. */
function centerCrop(img: Rgb8Image, height: number, width: number): Rgb8Image {
  if (img.width === width && img.height === height) return img;
  VisionEncoderError.check(width <= img.width && height <= img.height, 'ARGUMENT', () =>
    `'crop_size' ${width}x${height} is larger than the ${img.width}x${img.height} image in 'preprocessImage'; enable do_resize or lower crop_size`);
  const top = (img.height - height) >> 1;
  const left = (img.width - width) >> 1;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) out.set(img.data.subarray(((top + y) * img.width + left) * 3, ((top + y) * img.width + left + width) * 3), y * width * 3);
  return { width, height, channels: 3, data: out };
}

/**
 * Rescale and normalise exactly as HF does: `u8 · rescale_factor` in float64 cast to float32,
 * then `(x − mean_f32) / std_f32` in float32; HWC → CHW.
 */
export function normalizeToChw(img: Rgb8Image, cfg: CLIPImageProcessorConfig): Float32Array {
  const { width: w, height: h, data } = img;
  const f = Math.fround;
  const mean = cfg.image_mean.map(f);
  const std = cfg.image_std.map(f);
  const out = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < h * w; p++) {
      let x = cfg.do_rescale ? f(data[p * 3 + c] * cfg.rescale_factor) : data[p * 3 + c];
      if (cfg.do_normalize) x = f(f(x - mean[c]) / std[c]);
      out[c * h * w + p] = x;
    }
  }
  return out;
}

/** The reference pipeline on one image, keeping every step: RGB8 → square → resize → crop → normalise. */
export function preprocessSteps(image: RawImage, config: Partial<CLIPImageProcessorConfig> = {}): PreprocessSteps {
  const cfg = resolveImageProcessorConfig(config);
  validateRawImage(image, 'preprocessImage');
  checkPixels(image.width, image.height, 'the input image', 'preprocessImage');
  const rgb = toRgb8(image);
  const square = cfg.pad_to_square ? expand2square(rgb, meanColour(cfg.image_mean)) : rgb;
  let resized = square;
  if (cfg.do_resize) {
    const [w, h] = resizeTarget(square.width, square.height, cfg.size.shortest_edge);
    checkPixels(w, h, 'the resized image', 'preprocessImage');
    resized = resizeBicubic(square, w, h);
  }
  if (cfg.do_center_crop) resized = centerCrop(resized, cfg.crop_size.height, cfg.crop_size.width);
  return { square, resized, pixelValues: normalizeToChw(resized, cfg) };
}

/**
 * Preprocess a batch of images of any size (grayscale / RGB / RGBA; 8-bit, 16-bit or float) into
 * `pixel_values` [B, 3, H, W] float32 for the tower. All images must end at the same size
 * (they do whenever the centre crop is on).
 */
export function preprocessImages(images: readonly RawImage[], config: Partial<CLIPImageProcessorConfig> = {}): Tensor {
  VisionEncoderError.check(images.length > 0, 'ARGUMENT', `'images' passed to 'preprocessImages' must not be empty`);
  const cfg = resolveImageProcessorConfig(config);
  const steps = images.map((img) => preprocessSteps(img, cfg));
  const { width: w, height: h } = steps[0].resized;
  steps.forEach((s, i) =>
    VisionEncoderError.check(s.resized.width === w && s.resized.height === h, 'ARGUMENT', () =>
      `'images' passed to 'preprocessImages': image ${i} ends at ${s.resized.width}x${s.resized.height}, image 0 at ${w}x${h}; turn do_center_crop on`));
  const batch = new Float32Array(images.length * 3 * h * w);
  steps.forEach((s, i) => batch.set(s.pixelValues, i * 3 * h * w));
  return tf.tensor4d(batch, [images.length, 3, h, w], 'float32'); // [B, 3, H, W]
}

/** One image → pixel_values [1, 3, H, W] float32. */
export function preprocessImage(image: RawImage, config: Partial<CLIPImageProcessorConfig> = {}): Tensor {
  return preprocessImages([image], config);
}
