import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from './errors.js';
import { resizePlane } from './image-ops.js';

export interface PreprocessOptions {
  /** Output height and width (default 224). */
  size?: number;
  /** Output channels (default 3; grey images are repeated). */
  channels?: 1 | 3;
  /** Per-channel mean and std applied after scaling to [0, 1] (default CLIP's). */
  mean?: readonly number[];
  std?: readonly number[];
}

/** CLIP's normalisation constants. */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/**
 * Images → one normalised float NCHW array `[N, C, size, size]` (plain Float32Array, no tensors):
 * scale to [0, 1], resize (antialiased bilinear, aspect not kept), normalise per channel.
 */
export function toNCHW(images: readonly RawImage[], opts: PreprocessOptions = {}): { data: Float32Array; shape: [number, number, number, number] } {
  const { size = 224, channels = 3, mean = CLIP_MEAN, std = CLIP_STD } = opts;
  DatasetError.check(Number.isInteger(size) && size >= 1, 'ARGUMENT', `toNCHW: 'size' must be a positive integer, got ${size}`);
  DatasetError.check(mean.length >= channels && std.length >= channels, 'ARGUMENT', `toNCHW: 'mean' and 'std' need ${channels} values`);
  const plane = size * size;
  const out = new Float32Array(images.length * channels * plane); // [N, C, H, W]
  images.forEach((img, n) => {
    const { width: w, height: h, channels: c, data } = img;
    DatasetError.check(data.length === w * h * c, 'ARGUMENT', `toNCHW: image ${n} data length ${data.length} != ${w}x${h}x${c}`);
    const scale = data instanceof Uint8Array ? 1 / 255 : data instanceof Uint16Array ? 1 / 65535 : 1;
    for (let k = 0; k < channels; k++) {
      const srcC = c === 1 ? 0 : channels === 1 ? -1 : k;
      const src = new Float32Array(w * h);
      for (let i = 0; i < w * h; i++) {
        if (srcC >= 0) src[i] = data[i * c + srcC] * scale;
        else src[i] = ((data[i * c] + data[i * c + 1] + data[i * c + 2]) / 3) * scale; // colour → grey
      }
      const resized = resizePlane(src, w, h, size, size);
      const base = (n * channels + k) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = (resized[i] - mean[k]) / std[k];
    }
  });
  return { data: out, shape: [images.length, channels, size, size] };
}
