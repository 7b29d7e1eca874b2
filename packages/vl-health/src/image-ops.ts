import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from './errors.js';
import type { Rng } from './rng.js';

/** A single-channel float image (row-major), the working type of the synthetic renderer and task builders. */
export interface Gray {
  width: number;
  height: number;
  data: Float32Array;
}

/** RawImage → float [0, 1] grey (colour averaged; 8/16-bit scaled). */
export function toGray(img: RawImage): Gray {
  const { width, height, channels, data } = img;
  DatasetError.check(data.length === width * height * channels, 'ARGUMENT', `toGray: data length ${data.length} != ${width}x${height}x${channels}`);
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
  DatasetError.check(Number.isInteger(f) && f >= 1 && g.width % f === 0 && g.height % f === 0, 'ARGUMENT', `boxDownsample: factor ${f} must divide ${g.width}x${g.height}`);
  const w = g.width / f;
  const h = g.height / f;
  const out = new Float32Array(w * h);
  for (let y = 0; y < g.height; y++)
    for (let x = 0; x < g.width; x++) out[Math.floor(y / f) * w + Math.floor(x / f)] += g.data[y * g.width + x];
  for (let i = 0; i < out.length; i++) out[i] /= f * f;
  return { width: w, height: h, data: out };
}

/**
 * Resize one channel plane with a triangle (bilinear) filter whose support widens when
 * shrinking (antialiased, like PIL's bilinear). Works for any scale.
 */
export function resizePlane(src: Float32Array, w: number, h: number, ow: number, oh: number): Float32Array {
  if (w === ow && h === oh) return Float32Array.from(src);
  const fx = filterTaps(w, ow);
  const fy = filterTaps(h, oh);
  const tmp = new Float32Array(ow * h); // horizontal pass: [h, ow]
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let o = 0; o < ow; o++) {
      let s = 0;
      const lo = fx.lo[o];
      const base = o * fx.taps;
      for (let k = 0; k < fx.count[o]; k++) s += fx.weights[base + k] * src[row + lo + k];
      tmp[y * ow + o] = s;
    }
  }
  const out = new Float32Array(ow * oh); // vertical pass, row by row: [oh, ow]
  for (let o = 0; o < oh; o++) {
    const dst = o * ow;
    const base = o * fy.taps;
    for (let k = 0; k < fy.count[o]; k++) {
      const wt = fy.weights[base + k];
      const srcRow = (fy.lo[o] + k) * ow;
      for (let x = 0; x < ow; x++) out[dst + x] += wt * tmp[srcRow + x];
    }
  }
  return out;
}

/** Normalised triangle-filter taps mapping `n` input samples to `m` outputs. */
function filterTaps(n: number, m: number): { lo: Int32Array; count: Int32Array; weights: Float32Array; taps: number } {
  const scale = n / m;
  const support = Math.max(1, scale);
  const taps = Math.ceil(support) * 2 + 1;
  const lo = new Int32Array(m);
  const count = new Int32Array(m);
  const weights = new Float32Array(m * taps);
  for (let o = 0; o < m; o++) {
    const c = (o + 0.5) * scale - 0.5;
    const a = Math.max(0, Math.floor(c - support) + 1);
    const b = Math.min(n - 1, Math.ceil(c + support) - 1, a + taps - 1);
    let sum = 0;
    for (let i = a; i <= b; i++) sum += weights[o * taps + i - a] = Math.max(0, 1 - Math.abs(i - c) / support);
    if (sum === 0) {
      const i = Math.min(n - 1, Math.max(0, Math.round(c)));
      lo[o] = i;
      count[o] = 1;
      weights[o * taps] = 1;
      continue;
    }
    for (let i = a; i <= b; i++) weights[o * taps + i - a] /= sum;
    lo[o] = a;
    count[o] = b - a + 1;
  }
  return { lo, count, weights, taps };
}

/** Resize a grey image (antialiased bilinear). */
export function resizeGray(g: Gray, ow: number, oh: number): Gray {
  return { width: ow, height: oh, data: resizePlane(g.data, g.width, g.height, ow, oh) };
}

/** Add zero-mean Gaussian noise of standard deviation `sigma` (new image). */
export function addGaussianNoise(g: Gray, sigma: number, rng: Rng): Gray {
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
