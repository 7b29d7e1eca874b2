import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from '../errors.js';
import { Generator } from '@healthgpt/tensor-core/base';
import { addGaussianNoise, boxDownsample, clamp01, gaussianBlur, toGray, type Gray } from '../image_ops.js';
import type { NiftiVolume } from '../decode/nifti.js';
import { finiteMinMax, sliceVolume, type Normalise } from '../decode/slice.js';

/** An input → target pair of a generation task, both float [0, 1] single-channel images. */
export interface ImagePair {
  input: RawImage;
  target: RawImage;
}

const raw = (g: Gray): RawImage => ({ width: g.width, height: g.height, channels: 1, data: g.data });

export interface SuperResolutionOptions {
  /** Downsampling factor (default 4, as IXI in the reference). */
  factor?: number;
  /** `box` (block average, default), `gaussian` (blur with sigma = factor/2 then decimate) or `nearest` (decimate). */
  kernel?: 'box' | 'gaussian' | 'nearest';
}

/**
 * A super-resolution pair: the target is the image cropped to a multiple of `factor`, the input its
 * downsampled copy (a model that wants its input at the target size: `await resizeImage(input, w, h)`).
 */
export function superResolutionPair(img: RawImage, opts: SuperResolutionOptions = {}): ImagePair {
  const { factor = 4, kernel = 'box' } = opts;
  DatasetError.check(Number.isInteger(factor) && factor >= 2, 'ARGUMENT', () => `'factor' passed to 'superResolutionPair' must be an integer >= 2, got ${factor}`);
  DatasetError.check(['box', 'gaussian', 'nearest'].includes(kernel), 'ARGUMENT', () => `'kernel' passed to 'superResolutionPair' must be box, gaussian or nearest, got "${kernel}"`);
  const g = toGray(img);
  const w = g.width - (g.width % factor);
  const h = g.height - (g.height % factor);
  DatasetError.check(w >= factor && h >= factor, 'ARGUMENT', () => `the image passed to 'superResolutionPair' (${g.width}x${g.height}) is smaller than 'factor' ${factor}`);
  const target = crop(g, w, h);
  let low: Gray;
  if (kernel === 'box') low = boxDownsample(target, factor);
  else {
    const src = kernel === 'gaussian' ? gaussianBlur(target, factor / 2) : target;
    low = { width: w / factor, height: h / factor, data: new Float32Array((w / factor) * (h / factor)) };
    const off = Math.floor(factor / 2);
    for (let y = 0; y < low.height; y++) for (let x = 0; x < low.width; x++) low.data[y * low.width + x] = src.data[(y * factor + off) * w + x * factor + off];
  }
  return { input: raw(low), target: raw(target) };
}

function crop(g: Gray, w: number, h: number): Gray {
  if (w === g.width && h === g.height) return g;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(g.data.subarray(y * g.width, y * g.width + w), y * w);
  return { width: w, height: h, data: out };
}

export interface ReconstructionOptions {
  /** `identity` (default: reproduce the input, as the reference's reconstruction task) or `masked` (fill in masked patches). */
  mode?: 'identity' | 'masked';
  /** For `masked`: patch size in pixels (default 8) and fraction of patches masked (default 0.25). */
  patch?: number;
  maskFraction?: number;
  seed?: number;
}

/** A reconstruction pair. */
export function reconstructionPair(img: RawImage, opts: ReconstructionOptions = {}): ImagePair {
  const { mode = 'identity', patch = 8, maskFraction = 0.25, seed = 0 } = opts;
  const target = toGray(img);
  if (mode === 'identity') return { input: raw(target), target: raw(target) };
  DatasetError.check(mode === 'masked', 'ARGUMENT', () => `'mode' passed to 'reconstructionPair' must be identity or masked, got "${mode}"`);
  DatasetError.check(Number.isInteger(patch) && patch >= 1 && maskFraction >= 0 && maskFraction <= 1, 'ARGUMENT', () => `'patch' passed to 'reconstructionPair' must be a positive integer and 'maskFraction' in [0, 1], got ${patch} and ${maskFraction}`);
  const rng = new Generator(seed);
  const input = Float32Array.from(target.data);
  for (let py = 0; py < target.height; py += patch)
    for (let px = 0; px < target.width; px += patch) {
      if (rng.random() >= maskFraction) continue;
      for (let y = py; y < Math.min(py + patch, target.height); y++) input.fill(0, y * target.width + px, y * target.width + Math.min(px + patch, target.width));
    }
  return { input: raw({ ...target, data: input }), target: raw(target) };
}

export interface DenoisingOptions {
  /** Noise standard deviation on the [0, 1] scale (default 0.1). */
  sigma?: number;
  /** `gaussian` (default) or `rician` (MRI magnitude noise). */
  kind?: 'gaussian' | 'rician';
  seed?: number;
}

/** A denoising pair: the input is the image plus seeded noise (clamped to [0, 1]). */
export function denoisingPair(img: RawImage, opts: DenoisingOptions = {}): ImagePair {
  const { sigma = 0.1, kind = 'gaussian', seed = 0 } = opts;
  DatasetError.check(sigma >= 0 && Number.isFinite(sigma), 'ARGUMENT', () => `'sigma' passed to 'denoisingPair' must be a finite number >= 0, got ${sigma}`);
  const target = toGray(img);
  const rng = new Generator(seed);
  let input: Gray;
  if (kind === 'gaussian') input = addGaussianNoise(target, sigma, rng);
  else {
    DatasetError.check(kind === 'rician', 'ARGUMENT', () => `'kind' passed to 'denoisingPair' must be gaussian or rician, got "${kind}"`);
    const d = new Float32Array(target.data.length);
    for (let i = 0; i < d.length; i++) d[i] = Math.hypot(target.data[i] + sigma * rng.normal(), sigma * rng.normal());
    input = { ...target, data: d };
  }
  return { input: raw(clamp01(input)), target: raw(target) };
}

export interface VolumeSlicesOptions {
  axis?: 0 | 1 | 2;
  /** Take every `step`-th slice (default 1). */
  step?: number;
  /** Skip slices whose fraction of voxels above 5 % of the range is below this (default 0.05): drops empty border slices. */
  minForeground?: number;
  normalise?: Normalise;
  t?: number;
}

/** 2-D slices of a volume along an axis, with their indices (empty slices skipped). */
export function volumeSlices(vol: NiftiVolume, opts: VolumeSlicesOptions = {}): { index: number; image: RawImage }[] {
  const { axis = 2, step = 1, minForeground = 0.05, normalise = 'volume', t = 0 } = opts;
  DatasetError.check(Number.isInteger(step) && step >= 1, 'ARGUMENT', () => `'step' passed to 'volumeSlices' must be a positive integer, got ${step}`);
  const n = vol.dims[axis];
  // volume bounds once, not once per slice
  const bounds = normalise === 'volume' ? volumeBounds(vol, t) : normalise;
  const out: { index: number; image: RawImage }[] = [];
  for (let i = 0; i < n; i += step) {
    const image = sliceVolume(vol, { axis, index: i, normalise: bounds, t });
    let fg = 0;
    for (const v of image.data) if (v > 0.05) fg++;
    if (fg / image.data.length >= minForeground) out.push({ index: i, image });
  }
  return out;
}

function volumeBounds(vol: NiftiVolume, t: number): Normalise {
  DatasetError.check(Number.isInteger(t) && t >= 0 && t < vol.dims[3], 'ARGUMENT', () => `'t' passed to 'volumeSlices' must be in [0, ${vol.dims[3]}), got ${t}`);
  const per = vol.dims[0] * vol.dims[1] * vol.dims[2];
  const [min, max] = finiteMinMax(per, (i) => vol.data[t * per + i]);
  return { min, max };
}
