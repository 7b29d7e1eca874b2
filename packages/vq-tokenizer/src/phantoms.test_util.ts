import type { Tensor } from '@healthgpt/tensor-core';
import { phantomImages } from '@healthgpt/vl-health';
import { rawImagesToTensor } from './image.js';

/**
 * `n` phantoms of vl-health's synthetic set (its one phantom generator, a dev dependency of this
 * package) as the tokenizer's input [n, 3, size, size] in [−1, 1]; seeded. Sizes below vl-health's
 * smallest (16 px, multiples of 4) are rendered larger and resized.
 */
export function phantoms(n: number, { size = 64, seed = 0 }: { size?: number; seed?: number } = {}): Tensor {
  const render = Math.max(16, Math.ceil(size / 4) * 4);
  return rawImagesToTensor(phantomImages(n, { size: render, seed }), render === size ? {} : { size });
}
