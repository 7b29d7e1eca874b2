import { tf, type RawImage, type Tensor } from '@healthgpt/tensor-core';
import { rawImagesToTensor } from '../image.js';
import { VQTokenizerError } from '../errors.js';

/** Training images: a tensor [N, C, H, W] in [−1, 1], or RawImages (converted and resized to `size`). */
export type ImageSource = Tensor | RawImage[];

/** The images as one owned tensor [N, C, H, W]; the caller disposes it. */
export function imagesTensor(source: ImageSource, { size, channels }: { size: number; channels: number }, op = 'VQTrainer'): Tensor {
  if (Array.isArray(source)) {
    VQTokenizerError.check(source.length > 0, 'ARGUMENT', `'images' passed to '${op}' must not be empty`);
    return rawImagesToTensor(source, { size });
  }
  VQTokenizerError.check(source instanceof tf.Tensor, 'ARGUMENT', `'images' passed to '${op}' must be a tensor [N, ${channels}, H, W] or an array of RawImages`);
  VQTokenizerError.check(source.rank === 4 && source.shape[1] === channels && source.shape[0] > 0, 'ARGUMENT', () => `'images' passed to '${op}' must be [N, ${channels}, H, W], got [${source.shape}]`);
  VQTokenizerError.check(source.dtype === 'float32', 'ARGUMENT', () => `'images' passed to '${op}' must be float32 in [−1, 1], got ${source.dtype}`);
  return source.clone();
}
