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
 * are flipped so that the second axis points up, as radiology viewers show them.
 */
export function sliceVolume(vol: NiftiVolume, opts: SliceOptions = {}): RawImage {
  const { axis = 2, t = 0, normalise = 'volume' } = opts;
  const [nx, ny, nz, nt] = vol.dims;
  const size = [nx, ny, nz];
  DatasetError.check(axis === 0 || axis === 1 || axis === 2, 'ARGUMENT', `sliceVolume: 'axis' must be 0, 1 or 2, got ${axis}`);
  const index = opts.index ?? Math.floor(size[axis] / 2);
  DatasetError.check(Number.isInteger(index) && index >= 0 && index < size[axis], 'ARGUMENT', `sliceVolume: 'index' ${index} out of range [0, ${size[axis]}) on axis ${axis}`);
  DatasetError.check(Number.isInteger(t) && t >= 0 && t < nt, 'ARGUMENT', `sliceVolume: 't' ${t} out of range [0, ${nt})`);
  const [ua, va] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
  const width = size[ua];
  const height = size[va];
  const stride = [1, nx, nx * ny];
  const base = index * stride[axis] + t * nx * ny * nz;
  const out = new Float32Array(width * height);
  for (let r = 0; r < height; r++) {
    const v = height - 1 - r;
    for (let u = 0; u < width; u++) out[r * width + u] = vol.data[base + u * stride[ua] + v * stride[va]];
  }
  const [lo, hi] = bounds(normalise, vol, out, t);
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < out.length; i++) {
    const y = (out[i] - lo) * scale;
    out[i] = y >= 0 ? (y > 1 ? 1 : y) : 0; // NaN -> 0
  }
  return { width, height, channels: 1, data: out };
}

function bounds(n: Normalise, vol: NiftiVolume, slice: Float32Array, t: number): [number, number] {
  if (n === 'volume') {
    const per = vol.dims[0] * vol.dims[1] * vol.dims[2];
    return minMax(vol.data.subarray(t * per, (t + 1) * per));
  }
  if (n === 'slice') return minMax(slice);
  if ('percentiles' in n) {
    const [p0, p1] = n.percentiles;
    DatasetError.check(p0 >= 0 && p1 <= 100 && p0 < p1, 'ARGUMENT', `sliceVolume: percentiles must satisfy 0 <= p0 < p1 <= 100, got [${p0}, ${p1}]`);
    const s = Float32Array.from(slice).sort();
    const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))];
    return [at(p0), at(p1)];
  }
  DatasetError.check(Number.isFinite(n.min) && Number.isFinite(n.max), 'ARGUMENT', 'sliceVolume: normalise min/max must be finite');
  return [n.min, n.max];
}

function minMax(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}
