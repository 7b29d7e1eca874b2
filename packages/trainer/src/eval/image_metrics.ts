import { tf, type RawImage } from '@healthgpt/tensor-core';
import { psnr, ssim, rawImagesToTensor } from '@healthgpt/vq-tokenizer';

/** Image quality of one output against its reference, as the paper reports it. */
export interface ImageScores {
  /** Mean SSIM (Wang et al. 2004; vq-tokenizer's `ssim`), in [−1, 1]. */
  ssim: number;
  /** PSNR in dB, peak = 1 on the [0, 1] scale (vq-tokenizer's `psnr`). */
  psnr: number;
  /** Mean squared error on the 0–255 scale (the paper's: its MSE 34.47 goes with PSNR 32.76 dB). */
  mse: number;
}

/**
 * SSIM / PSNR / MSE of `output` against `reference`, both brought to `size`×`size` RGB (grey
 * replicated; bilinear resize where sizes differ, which is also how the identity baseline's input
 * is upsampled). Nothing is kept.
 */
export function imageScores(output: RawImage, reference: RawImage, size: number): ImageScores {
  const a = rawImagesToTensor(output, { size });
  const b = rawImagesToTensor(reference, { size });
  try {
    const mse = tf.tidy(() => tf.mean(tf.square(tf.mul(tf.sub(tf.clipByValue(a, -1, 1), tf.clipByValue(b, -1, 1)), 127.5))).dataSync()[0]);
    return { ssim: ssim(a, b)[0], psnr: psnr(a, b)[0], mse };
  } finally {
    tf.dispose([a, b]);
  }
}
