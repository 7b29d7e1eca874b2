import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from '../errors.js';
import type { NiftiVolume } from './nifti.js';

/** Intensity normalisation to [0, 1]: min–max over the volume or the slice, robust percentiles of the slice, or fixed bounds. */
export type Normalise = 'volume' | 'slice' | { percentiles: [number, number] } | { min: number; max: number };

export interface SliceOptions {
  /** 0 = sagittal (x fixed), 1 = coronal (y fixed), 2 = axial (z fixed). Default 2. */
  axis?: 0 | 1 | 2;
  /** Slice index along `axis` (default: the middle). */
  index?: number;
  /** Time point of a 4-D volume (default 0). */
  t?: number;
  normalise?: Normalise;
}

/**
 * One 2-D slice of a volume as a float [0, 1] RawImage. The in-plane axes are the two remaining
 * ones in order (axial: x across, y up; sagittal: y across, z up; coronal: x across, z up); rows
 * are flipped so that the second axis points up, as radiology viewers show them. Bounds come
 * from finite voxels only; +Inf maps to 1, −Inf and NaN to 0.
 */
export function sliceVolume(vol: NiftiVolume, opts: SliceOptions = {}): RawImage {
  return sliceVoxels(vol.dims, (i) => vol.data[i], opts);
}

/** `sliceVolume` over any voxel reader (index = x + nx·(y + ny·(z + nz·t))). */
export function sliceVoxels(dims: readonly [number, number, number, number], voxel: (i: number) => number, opts: SliceOptions = {}): RawImage {
  const { axis = 2, t = 0, normalise = 'volume' } = opts;
  const [nx, ny, nz, nt] = dims;
  const size = [nx, ny, nz];
  DatasetError.check(axis === 0 || axis === 1 || axis === 2, 'ARGUMENT', () => `'axis' passed to 'sliceVolume' must be 0, 1 or 2, got ${axis}`);
  const index = opts.index ?? Math.floor(size[axis] / 2);
  DatasetError.check(Number.isInteger(index) && index >= 0 && index < size[axis], 'ARGUMENT', () => `'index' passed to 'sliceVolume' must be in [0, ${size[axis]}) on axis ${axis}, got ${index}`);
  DatasetError.check(Number.isInteger(t) && t >= 0 && t < nt, 'ARGUMENT', () => `'t' passed to 'sliceVolume' must be in [0, ${nt}), got ${t}`);
  const [ua, va] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
  const width = size[ua];
  const height = size[va];
  const stride = [1, nx, nx * ny];
  const base = index * stride[axis] + t * nx * ny * nz;
  const out = new Float32Array(width * height);
  for (let r = 0; r < height; r++) {
    const v = height - 1 - r;
    for (let u = 0; u < width; u++) out[r * width + u] = voxel(base + u * stride[ua] + v * stride[va]);
  }
  const [lo, hi] = bounds(normalise, out, () => {
    const per = nx * ny * nz;
    return finiteMinMax(per, (i) => voxel(t * per + i));
  });
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    const y = (x - lo) * scale;
    out[i] = x === Infinity ? 1 : y > 0 ? (y < 1 ? y : 1) : 0; // NaN, −Inf -> 0
  }
  return { width, height, channels: 1, data: out };
}

function bounds(n: Normalise, slice: Float32Array, volume: () => [number, number]): [number, number] {
  if (n === 'volume') return volume();
  if (n === 'slice') return finiteMinMax(slice.length, (i) => slice[i]);
  if ('percentiles' in n) {
    const [p0, p1] = n.percentiles;
    DatasetError.check(p0 >= 0 && p1 <= 100 && p0 < p1, 'ARGUMENT', () => `'normalise.percentiles' passed to 'sliceVolume' must satisfy 0 <= p0 < p1 <= 100, got [${p0}, ${p1}]`);
    const s = slice.filter(Number.isFinite).sort();
    if (s.length === 0) return [0, 1];
    const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))];
    return [at(p0), at(p1)];
  }
  DatasetError.check(Number.isFinite(n.min) && Number.isFinite(n.max), 'ARGUMENT', () => `'normalise.min' and 'normalise.max' passed to 'sliceVolume' must be finite, got ${n.min} and ${n.max}`);
  return [n.min, n.max];
}

/** Min and max of the finite values ([0, 1] when there are none). */
export function finiteMinMax(n: number, at: (i: number) => number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = at(i);
    if (v < lo && v !== -Infinity) lo = v;
    if (v > hi && v !== Infinity) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}
