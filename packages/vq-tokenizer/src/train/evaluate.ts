import { tf } from '@healthgpt/tensor-core';
import type { VQTokenizer } from '../model.js';
import { codebookUsage, psnr, ssim } from '../metrics.js';
import { imagesTensor, type ImageSource } from './data.js';

/** Reconstruction quality and codebook usage on held-out images. */
export interface EvalReport {
  images: number;
  /** Mean PSNR (dB) of decode(encode(x)) against x. */
  psnr: number;
  /** Mean SSIM (NaN for images smaller than the 11×11 window). */
  ssim: number;
  /** Codebook perplexity over every code of every image. */
  perplexity: number;
  usedCodes: number;
  deadCodes: number;
  codebookSize: number;
}

/** Encode and decode every image (noise-free codes) and measure PSNR, SSIM and codebook usage. */
export function evaluateTokenizer(model: VQTokenizer, source: ImageSource, { batchSize = 16 } = {}): EvalReport {
  const dd = model.config.ddconfig;
  const images = imagesTensor(source, { size: dd.resolution, channels: dd.in_channels }, 'evaluateTokenizer');
  const n = images.shape[0];
  const p: number[] = [];
  const s: number[] = [];
  const codes: number[] = [];
  for (let i = 0; i < n; i += batchSize) {
    const x = tf.slice(images, [i, 0, 0, 0], [Math.min(batchSize, n - i), -1, -1, -1]);
    const idx = model.encode(x);
    const y = model.decode(idx);
    p.push(...psnr(y, x));
    if (Math.min(...(x.shape as number[]).slice(2)) >= 11) s.push(...ssim(y, x));
    codes.push(...idx.dataSync());
    tf.dispose([x, idx, y]);
  }
  images.dispose();
  const usage = codebookUsage(codes, model.config.n_embed);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { images: n, psnr: mean(p), ssim: s.length ? mean(s) : NaN, perplexity: usage.perplexity, usedCodes: usage.used, deadCodes: usage.dead, codebookSize: model.config.n_embed };
}
