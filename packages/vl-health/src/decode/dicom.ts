import dicomParser from 'dicom-parser';
import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from '../errors.js';
import { checkPixelCount, DEFAULT_MAX_PIXELS } from '../safety.js';

/** How rescaled values map to [0, 1]: the file's window (default, falling back to min–max), an explicit one, or min–max. */
export type DicomWindow = 'file' | 'minmax' | { center: number; width: number };

export interface DicomOptions {
  window?: DicomWindow;
  /** Frame of a multi-frame file (default 0). */
  frame?: number;
  maxPixels?: number;
  file?: string;
}

export interface DicomInfo {
  modality: string;
  rows: number;
  columns: number;
  frames: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  photometric: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** The window actually applied. */
  window: { center: number; width: number };
  /** Rescaled values (e.g. Hounsfield units for CT), row-major, before windowing. */
  values: Float32Array;
}

const UNCOMPRESSED: Record<string, { little: boolean }> = {
  '1.2.840.10008.1.2': { little: true }, // implicit VR little endian
  '1.2.840.10008.1.2.1': { little: true }, // explicit VR little endian
  '1.2.840.10008.1.2.2': { little: false }, // explicit VR big endian (retired)
};

/** Decode an uncompressed monochrome DICOM (Part 10) image into a float [0, 1] RawImage plus its rescaled values. */
export function decodeDicom(bytes: Uint8Array, opts: DicomOptions = {}): { image: RawImage; info: DicomInfo } {
  const { file, maxPixels = DEFAULT_MAX_PIXELS, frame = 0 } = opts;
  const fail = (msg: string, cause?: unknown) => new DatasetError('DECODE', `DICOM: ${msg}`, { file, cause });
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (e) {
    throw fail(`cannot parse: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const ts = ds.string('x00020010')?.trim() ?? '1.2.840.10008.1.2';
  const syntax = UNCOMPRESSED[ts];
  if (!syntax) throw fail(`unsupported (compressed) transfer syntax ${ts}`);
  const rows = ds.uint16('x00280010') ?? 0;
  const columns = ds.uint16('x00280011') ?? 0;
  const spp = ds.uint16('x00280002') ?? 1;
  const bitsAllocated = ds.uint16('x00280100') ?? 0;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const highBit = ds.uint16('x00280102') ?? bitsStored - 1;
  const signed = (ds.uint16('x00280103') ?? 0) === 1;
  const photometric = (ds.string('x00280004') ?? 'MONOCHROME2').trim();
  const frames = Math.max(1, parseInt(ds.string('x00280008') ?? '1', 10) || 1);
  if (spp !== 1 || !photometric.startsWith('MONOCHROME')) throw fail(`only monochrome images are supported (samples per pixel ${spp}, ${photometric})`);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw fail(`bits allocated must be 8 or 16, got ${bitsAllocated}`);
  if (!(bitsStored >= 1 && bitsStored <= bitsAllocated && highBit >= bitsStored - 1 && highBit < bitsAllocated)) throw fail(`inconsistent bits stored ${bitsStored} / high bit ${highBit}`);
  checkPixelCount([rows, columns, frames], maxPixels, file);
  if (!Number.isInteger(frame) || frame < 0 || frame >= frames) throw new DatasetError('ARGUMENT', `DICOM: frame ${frame} out of range [0, ${frames})`, { file });
  const el = ds.elements.x7fe00010;
  if (!el) throw fail('no pixel data element (7FE0,0010)');
  const bytesPer = bitsAllocated / 8;
  const n = rows * columns;
  const start = el.dataOffset + frame * n * bytesPer;
  if (el.encapsulatedPixelData) throw fail('encapsulated (compressed) pixel data is not supported');
  const available = Math.max(0, Math.min(el.length >= 0 ? el.length : Infinity, bytes.length - el.dataOffset));
  const need = (frame + 1) * n * bytesPer;
  if (need > available) throw fail(`pixel data truncated: frame ${frame} needs ${need} bytes, have ${available}`);

  const slope = num(ds.string('x00281053'), 1) || 1;
  const intercept = num(ds.string('x00281052'), 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, n * bytesPer);
  const shift = highBit + 1 - bitsStored;
  const mask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1;
  const values = new Float32Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const raw = bytesPer === 1 ? view.getUint8(i) : view.getUint16(2 * i, syntax.little);
    let v = (raw >>> shift) & mask;
    if (signed && v & (1 << (bitsStored - 1))) v -= 1 << bitsStored;
    const r = v * slope + intercept;
    values[i] = r;
    if (r < lo) lo = r;
    if (r > hi) hi = r;
  }
  const window = chooseWindow(opts.window ?? 'file', ds, lo, hi);
  const data = applyWindow(values, window, photometric === 'MONOCHROME1');
  const info: DicomInfo = { modality: (ds.string('x00080060') ?? '').trim(), rows, columns, frames, bitsAllocated, bitsStored, signed, photometric, rescaleSlope: slope, rescaleIntercept: intercept, window, values };
  return { image: { width: columns, height: rows, channels: 1, data }, info };
}

function num(s: string | undefined, fallback: number): number {
  if (s === undefined) return fallback;
  const v = parseFloat(s.split('\\')[0]);
  return Number.isFinite(v) ? v : fallback;
}

function chooseWindow(w: DicomWindow, ds: dicomParser.DataSet, lo: number, hi: number): { center: number; width: number } {
  if (typeof w === 'object') {
    if (!(Number.isFinite(w.center) && Number.isFinite(w.width) && w.width >= 1)) throw new DatasetError('ARGUMENT', `DICOM: window width must be >= 1 and finite, got ${w.width}`);
    return w;
  }
  if (w === 'file') {
    const center = num(ds.string('x00281050'), NaN);
    const width = num(ds.string('x00281051'), NaN);
    if (Number.isFinite(center) && Number.isFinite(width) && width >= 1) return { center, width };
  }
  // min–max as a window: lo maps to 0, hi to 1.
  const width = Math.max(hi - lo + 1, 1);
  return { center: lo + 0.5 + (width - 1) / 2, width };
}

/** The DICOM linear VOI function (PS3.3 C.11.2.1.2), to [0, 1]; MONOCHROME1 is inverted. */
export function applyWindow(values: Float32Array, { center, width }: { center: number; width: number }, invert = false): Float32Array {
  const out = new Float32Array(values.length);
  const c = center - 0.5;
  const w = width - 1;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    let y = w <= 0 ? (x > c ? 1 : 0) : (x - c) / w + 0.5;
    y = y < 0 ? 0 : y > 1 ? 1 : y;
    out[i] = invert ? 1 - y : y;
  }
  return out;
}
