import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from './errors.js';
import type { Generator } from '@healthgpt/tensor-core/base';

/** A single-channel float image (row-major), the working type of the synthetic renderer and task builders. */
export interface Gray {
  width: number;
  height: number;
  data: Float32Array;
}

/** RawImage → float [0, 1] grey (colour averaged; 8/16-bit scaled). */
export function toGray(img: RawImage): Gray {
  const { width, height, channels, data } = img;
  DatasetError.check(data.length === width * height * channels, 'ARGUMENT', () => `the image passed to 'toGray' has ${data.length} values, not ${width}x${height}x${channels}`);
  const scale = data instanceof Uint8Array ? 1 / 255 : data instanceof Uint16Array ? 1 / 65535 : 1;
  const c = channels === 4 ? 3 : channels;
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += data[i * channels + k];
    out[i] = (s / c) * scale;
  }
  return { width, height, data: out };
}

/** Grey float → 8-bit RawImage (clamped, rounded). */
export function grayToRaw(g: Gray): RawImage {
  const data = new Uint8Array(g.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(g.data[i] * 255);
    data[i] = v >= 0 ? (v > 255 ? 255 : v) : 0;
  }
  return { width: g.width, height: g.height, channels: 1, data };
}

/** Separable Gaussian blur with edge clamping. */
export function gaussianBlur(g: Gray, sigma: number): Gray {
  if (!(sigma > 0)) return { ...g, data: Float32Array.from(g.data) };
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const { width: w, height: h } = g;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * g.data[y * w + clamp(x + i, w)];
      tmp[y * w + x] = s;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * tmp[clamp(y + i, h) * w + x];
      out[y * w + x] = s;
    }
  return { width: w, height: h, data: out };
}

/** Average each `f`×`f` block (box downsampling); width and height must divide by `f`. */
export function boxDownsample(g: Gray, f: number): Gray {
  DatasetError.check(Number.isInteger(f) && f >= 1 && g.width % f === 0 && g.height % f === 0, 'ARGUMENT', () => `'f' passed to 'boxDownsample' must be a positive integer dividing ${g.width}x${g.height}, got ${f}`);
  const w = g.width / f;
  const h = g.height / f;
  const out = new Float32Array(w * h);
  for (let y = 0; y < g.height; y++)
    for (let x = 0; x < g.width; x++) out[Math.floor(y / f) * w + Math.floor(x / f)] += g.data[y * g.width + x];
  for (let i = 0; i < out.length; i++) out[i] /= f * f;
  return { width: w, height: h, data: out };
}

/** Add zero-mean Gaussian noise of standard deviation `sigma` (new image). */
export function addGaussianNoise(g: Gray, sigma: number, rng: Generator): Gray {
  const out = new Float32Array(g.data.length);
  for (let i = 0; i < out.length; i++) out[i] = g.data[i] + sigma * rng.normal();
  return { ...g, data: out };
}

/** Clamp to [0, 1] in place. */
export function clamp01(g: Gray): Gray {
  for (let i = 0; i < g.data.length; i++) {
    const v = g.data[i];
    g.data[i] = v >= 0 ? (v > 1 ? 1 : v) : 0;
  }
  return g;
}
