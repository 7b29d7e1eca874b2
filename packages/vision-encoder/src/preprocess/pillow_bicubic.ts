import { VisionEncoderError } from '../errors.js';
import { checkPixels, type Rgb8Image } from './rgb8.js';

/** Pillow's fixed-point precision for 8-bit images (libImaging/Resample.c: 32 − 8 − 2). */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Pillow's bicubic kernel (a = −0.5), evaluated in Pillow's order. */
function bicubic(t: number): number {
  const a = -0.5;
  const x = t < 0 ? -t : t;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** The taps of one resampling pass: for each output index, its first input index, tap count and int32 weights. */
interface Taps {
  start: Int32Array;
  count: Int32Array;
  /** [outSize · ksize] fixed-point weights. */
  weights: Int32Array;
  ksize: number;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bicubic filter (support 2). */
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ss = 1 / filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, ksize };
}

/** Pillow's `clip8`: the accumulator shifted down by the precision, clamped to a byte. */
const clip8 = (acc: number) => Math.min(255, Math.max(0, Math.floor(acc / ONE)));

/**
 * Resample along one axis. The data is viewed as `lines` blocks of `inSize` pixels, each pixel
 * `inner` contiguous values (the channels for a horizontal pass; a whole row for a vertical one).
 */
function pass(src: Uint8Array, lines: number, inSize: number, outSize: number, inner: number): Uint8Array {
  const t = taps(inSize, outSize);
  const out = new Uint8Array(lines * outSize * inner);
  for (let line = 0; line < lines; line++) {
    const base = line * inSize * inner;
    for (let o = 0; o < outSize; o++) {
      const w0 = o * t.ksize;
      const s0 = t.start[o];
      const dst = (line * outSize + o) * inner;
      for (let c = 0; c < inner; c++) {
        let acc = HALF;
        for (let x = 0; x < t.count[o]; x++) acc += src[base + (s0 + x) * inner + c] * t.weights[w0 + x];
        out[dst + c] = clip8(acc);
      }
    }
  }
  return out;
}

/**
 * Pillow's `Image.resize(size, BICUBIC)` for 8-bit images, bit for bit: separable (horizontal
 * pass, uint8 intermediate, vertical pass), antialiased when downscaling, int32 fixed-point
 * weights with 22 fractional bits. A pass whose size does not change is skipped (as Pillow does).
 */
export function resizeBicubic(image: Rgb8Image, width: number, height: number): Rgb8Image {
  VisionEncoderError.check(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0, 'ARGUMENT', () =>
    `'width' and 'height' passed to 'resizeBicubic' must be positive integers, got ${width}x${height}`);
  checkPixels(width, height, 'the output', 'resizeBicubic');
  checkPixels(width, image.height, 'the row pass', 'resizeBicubic'); // [H, W', C] before the column pass
  const c = image.channels;
  let data = image.data;
  if (width !== image.width) data = pass(data, image.height, image.width, width, c); // rows: [H, W', C]
  if (height !== image.height) data = pass(data, 1, image.height, height, width * c); // columns: [H', W', C]
  return { width, height, channels: 3, data };
}
