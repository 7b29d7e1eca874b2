import { tf, type RawImage, type Tensor } from '@healthgpt/tensor-core';
import { VQTokenizerError } from './errors.js';

export interface ToTensorOptions {
  /** Resize every image to size×size (bilinear, half-pixel centres) before stacking. Default: keep the size (all must match). */
  size?: number;
}

function scaleOf(img: RawImage): number {
  if (img.data instanceof Uint8Array) return 1 / 255;
  if (img.data instanceof Uint16Array) return 1 / 65535;
  return 1; // float images are [0, 1]
}

/** One RawImage (HWC, 1/3/4 channels) → RGB [H, W, 3] in [0, 1]. */
function toRgb01(img: RawImage, i: number): Tensor {
  const { width: w, height: h, channels: c } = img;
  VQTokenizerError.check(c === 1 || c === 3 || c === 4, 'IMAGE', `'channels' must be 1, 3 or 4, got ${c}`, { record: i });
  VQTokenizerError.check(Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0, 'IMAGE', `invalid size ${w}x${h}`, { record: i });
  VQTokenizerError.check(img.data.length === w * h * c, 'IMAGE', () => `'data' has ${img.data.length} values, expected ${w}x${h}x${c} = ${w * h * c}`, { record: i });
  return tf.tidy(() => {
    const x = tf.mul(tf.tensor3d(Float32Array.from(img.data), [h, w, c]), scaleOf(img)); // [H, W, C]
    if (c === 3) return x;
    if (c === 1) return tf.tile(x, [1, 1, 3]);
    return tf.slice(x, [0, 0, 0], [h, w, 3]); // drop alpha
  });
}

/**
 * RawImages → the tokenizer's input [B, 3, H, W] in [−1, 1] (taming's 2x − 1). Grey images are
 * replicated to RGB, alpha is dropped; 8/16-bit data is scaled to [0, 1], float data taken as is.
 */
export function rawImagesToTensor(images: RawImage | RawImage[], { size }: ToTensorOptions = {}): Tensor {
  const list = Array.isArray(images) ? images : [images];
  VQTokenizerError.check(list.length > 0, 'ARGUMENT', `'images' passed to 'rawImagesToTensor' must not be empty`);
  if (size === undefined) {
    const { width, height } = list[0];
    list.forEach((im, i) =>
      VQTokenizerError.check(im.width === width && im.height === height, 'IMAGE', () => `${im.width}x${im.height}, but images[0] is ${width}x${height}: pass { size } to resize`, { record: i }),
    );
  } else VQTokenizerError.check(Number.isInteger(size) && size > 0, 'ARGUMENT', `'size' passed to 'rawImagesToTensor' must be a positive integer, got ${size}`);
  return tf.tidy(() => {
    const rgb = list.map((im, i) => {
      const x = toRgb01(im, i);
      return size === undefined ? x : tf.image.resizeBilinear(x as tf.Tensor3D, [size, size], false, true);
    });
    const batch = tf.transpose(tf.stack(rgb), [0, 3, 1, 2]); // [B, 3, H, W]
    return tf.sub(tf.mul(tf.clipByValue(batch, 0, 1), 2), 1);
  });
}

/**
 * Images [B, 3, H, W] (about [−1, 1]) → uint8 RGB RawImages, as HealthGPT saves them:
 * uint8(255 · (clamp(x, −1, 1) + 1) / 2) in float32, truncating (not rounding).
 */
export function toUint8HWC(images: Tensor): RawImage[] {
  VQTokenizerError.check(images.rank === 4 && images.shape[1] === 3, 'ARGUMENT', () => `'images' passed to 'toUint8HWC' must be [B, 3, H, W], got [${images.shape}]`);
  const [b, , h, w] = images.shape;
  const nhwc = tf.tidy(() => tf.transpose(images, [0, 2, 3, 1])); // [B, H, W, 3]
  const data = nhwc.dataSync() as Float32Array;
  nhwc.dispose();
  const f = Math.fround;
  const out: RawImage[] = [];
  for (let i = 0; i < b; i++) {
    const px = new Uint8Array(h * w * 3);
    const off = i * h * w * 3;
    for (let j = 0; j < px.length; j++) {
      const x = Math.min(1, Math.max(-1, data[off + j]));
      px[j] = Math.trunc(f(255 * f(f(x + 1) / 2)));
    }
    out.push({ width: w, height: h, channels: 3, data: px });
  }
  return out;
}

