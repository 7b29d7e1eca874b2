import { tf, type Tensor } from '@healthgpt/tensor-core';
import { VQTokenizerError } from './errors.js';

function checkPair(a: Tensor, b: Tensor, op: string): void {
  VQTokenizerError.check(a.rank === 4 && b.rank === 4, 'ARGUMENT', () => `'${op}' expects two [B, C, H, W] tensors, got [${a.shape}] and [${b.shape}]`);
  VQTokenizerError.check(a.shape.every((d, i) => d === b.shape[i]), 'ARGUMENT', () => `'${op}': shapes differ, [${a.shape}] vs [${b.shape}]`);
}

/** PSNR in dB of each image pair, images in [−1, 1] (peak 1 after mapping to [0, 1]; both are clamped). */
export function psnr(a: Tensor, b: Tensor): number[] {
  checkPair(a, b, 'psnr');
  const mse = tf.tidy(() => {
    const d = tf.div(tf.sub(tf.clipByValue(a, -1, 1), tf.clipByValue(b, -1, 1)), 2); // difference on the [0, 1] scale
    return tf.mean(tf.square(d), [1, 2, 3]);
  });
  const out = Array.from(mse.dataSync(), (m) => (m > 0 ? -10 * Math.log10(m) : Infinity));
  mse.dispose();
  return out;
}

/** A normalised 1-D Gaussian window. */
function gaussian(size: number, sigma: number): number[] {
  const c = (size - 1) / 2;
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  const s = g.reduce((x, y) => x + y, 0);
  return g.map((x) => x / s);
}

/**
 * Mean SSIM (Wang et al. 2004: 11×11 Gaussian window σ 1.5, K1 0.01, K2 0.03, 'valid' windows) of
 * each image pair, on the [0, 1] scale, averaged over channels. Images in [−1, 1], at least 11×11.
 */
export function ssim(a: Tensor, b: Tensor, { window = 11, sigma = 1.5 } = {}): number[] {
  checkPair(a, b, 'ssim');
  const [n, c, h, w] = a.shape;
  VQTokenizerError.check(h >= window && w >= window, 'ARGUMENT', () => `'ssim' needs images of at least ${window}×${window}, got ${h}×${w}`);
  const vals = tf.tidy(() => {
    const g = gaussian(window, sigma);
    const k = tf.tensor4d(g.flatMap((y) => g.map((x) => x * y)), [window, window, 1, 1]);
    const prep = (x: Tensor) => tf.div(tf.add(tf.clipByValue(x, -1, 1), 1), 2).reshape([n * c, h, w, 1]) as tf.Tensor4D; // [B·C, H, W, 1]
    const x = prep(a);
    const y = prep(b);
    const blur = (t: Tensor) => tf.conv2d(t as tf.Tensor4D, k, 1, 'valid');
    const mx = blur(x);
    const my = blur(y);
    const sxx = tf.sub(blur(tf.mul(x, x)), tf.mul(mx, mx));
    const syy = tf.sub(blur(tf.mul(y, y)), tf.mul(my, my));
    const sxy = tf.sub(blur(tf.mul(x, y)), tf.mul(mx, my));
    const c1 = 0.01 ** 2;
    const c2 = 0.03 ** 2;
    const num = tf.mul(tf.add(tf.mul(tf.mul(mx, my), 2), c1), tf.add(tf.mul(sxy, 2), c2));
    const den = tf.mul(tf.add(tf.add(tf.mul(mx, mx), tf.mul(my, my)), c1), tf.add(tf.add(sxx, syy), c2));
    return tf.mean(tf.div(num, den).reshape([n, -1]), 1); // [B]
  });
  const out = Array.from(vals.dataSync());
  vals.dispose();
  return out;
}

/** How the codebook is used by a set of codes. */
export interface CodebookUsage {
  /** exp(entropy) of the code histogram: the effective number of codes (n_embed at best). */
  perplexity: number;
  /** Codes used at least once. */
  used: number;
  /** Codes never used. */
  dead: number;
  /** Count per code. */
  counts: Int32Array;
}

/** Codebook perplexity and dead codes of `indices` (an int32 tensor or array of codes in [0, nEmbed)). */
export function codebookUsage(indices: Tensor | ArrayLike<number>, nEmbed: number): CodebookUsage {
  const data = indices instanceof tf.Tensor ? (indices as Tensor).dataSync() : indices;
  const counts = new Int32Array(nEmbed);
  for (let i = 0; i < data.length; i++) {
    const k = data[i];
    VQTokenizerError.check(Number.isInteger(k) && k >= 0 && k < nEmbed, 'ARGUMENT', () => `'indices' passed to 'codebookUsage' must lie in [0, ${nEmbed}), got ${k}`);
    counts[k]++;
  }
  let entropy = 0;
  for (const c of counts) if (c > 0) entropy -= (c / data.length) * Math.log(c / data.length);
  const used = counts.reduce((u, c) => u + (c > 0 ? 1 : 0), 0);
  return { perplexity: Math.exp(entropy), used, dead: nEmbed - used, counts };
}
