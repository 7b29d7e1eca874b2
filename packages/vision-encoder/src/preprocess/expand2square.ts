import { checkPixels, type Rgb8Image } from './rgb8.js';

/**
 * HealthGPT's `expand2square`: paste the image onto a square canvas of side max(W, H) filled
 * with `background`, centred along the short side — at row (W − H) // 2 when W > H, at column
 * (H − W) // 2 when H > W. A square image is returned as is.
 */
export function expand2square(image: Rgb8Image, background: readonly [number, number, number]): Rgb8Image {
  const { width: w, height: h, data } = image;
  if (w === h) return image;
  const side = Math.max(w, h);
  checkPixels(side, side, 'the padded square', 'expand2square');
  const out = new Uint8Array(side * side * 3);
  for (let p = 0; p < side * side; p++) out.set(background, p * 3);
  const top = w > h ? (w - h) >> 1 : 0;
  const left = h > w ? (h - w) >> 1 : 0;
  for (let y = 0; y < h; y++) out.set(data.subarray(y * w * 3, (y + 1) * w * 3), ((top + y) * side + left) * 3);
  return { width: side, height: side, channels: 3, data: out };
}

/** The CLIP mean colour as HealthGPT computes it: `tuple(int(m * 255) for m in image_mean)`. */
export function meanColour(imageMean: readonly number[]): [number, number, number] {
  return [Math.trunc(imageMean[0] * 255), Math.trunc(imageMean[1] * 255), Math.trunc(imageMean[2] * 255)];
}
