import dicomParser from 'dicom-parser';
import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError, messageOf } from '../errors.js';
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
    throw fail(`cannot parse: ${messageOf(e)}`, e);
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
  const frames = numberTag(ds, 'x00280008', 'NumberOfFrames (0028,0008)', 1, fail);
  if (!(Number.isInteger(frames) && frames >= 1)) throw fail(`NumberOfFrames (0028,0008) must be a positive integer, got ${frames}`);
  if (spp !== 1 || (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2'))
    throw fail(`only MONOCHROME1 and MONOCHROME2 images are supported (samples per pixel ${spp}, photometric interpretation "${photometric}")`);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw fail(`bits allocated must be 8 or 16, got ${bitsAllocated}`);
  if (!(bitsStored >= 1 && bitsStored <= bitsAllocated && highBit >= bitsStored - 1 && highBit < bitsAllocated)) throw fail(`inconsistent bits stored ${bitsStored} / high bit ${highBit}`);
  checkPixelCount([rows, columns, frames], maxPixels, file);
  if (!Number.isInteger(frame) || frame < 0 || frame >= frames) throw new DatasetError('ARGUMENT', `'frame' passed to 'decodeDicom' must be in [0, ${frames}), got ${frame}`, { file });
  const el = ds.elements.x7fe00010;
  if (!el) throw fail('no pixel data element (7FE0,0010)');
  const bytesPer = bitsAllocated / 8;
  const n = rows * columns;
  const start = el.dataOffset + frame * n * bytesPer;
  if (el.encapsulatedPixelData) throw fail('encapsulated (compressed) pixel data is not supported');
  const available = Math.max(0, Math.min(el.length >= 0 ? el.length : Infinity, bytes.length - el.dataOffset));
  const need = (frame + 1) * n * bytesPer;
  if (need > available) throw fail(`pixel data truncated: frame ${frame} needs ${need} bytes, have ${available}`);

  const slope = numberTag(ds, 'x00281053', 'RescaleSlope (0028,1053)', 1, fail);
  const intercept = numberTag(ds, 'x00281052', 'RescaleIntercept (0028,1052)', 0, fail);
  if (slope === 0) throw fail('RescaleSlope (0028,1053) is 0: every pixel would have the same value');
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
  const window = chooseWindow(opts.window ?? 'file', ds, lo, hi, fail);
  const data = applyWindow(values, window, photometric === 'MONOCHROME1');
  const info: DicomInfo = { modality: (ds.string('x00080060') ?? '').trim(), rows, columns, frames, bitsAllocated, bitsStored, signed, photometric, rescaleSlope: slope, rescaleIntercept: intercept, window, values };
  return { image: { width: columns, height: rows, channels: 1, data }, info };
}

/**
 * A numeric (DS / IS) tag: its first value (multi-valued tags are `a\\b`), or `fallback` when the
 * tag is absent or blank; text that is not a number is an error naming the tag.
 */
function numberTag(ds: dicomParser.DataSet, tag: string, name: string, fallback: number, fail: (msg: string) => DatasetError): number {
  const text = ds.string(tag)?.split('\\')[0].trim();
  if (text === undefined || text === '') return fallback;
  const v = Number(text);
  if (!Number.isFinite(v)) throw fail(`${name} is not a number: "${text}"`);
  return v;
}

function chooseWindow(w: DicomWindow, ds: dicomParser.DataSet, lo: number, hi: number, fail: (msg: string) => DatasetError): { center: number; width: number } {
  if (typeof w === 'object') {
    DatasetError.check(Number.isFinite(w.center), 'ARGUMENT', () => `'window.center' passed to 'decodeDicom' must be a finite number, got ${w.center}`);
    DatasetError.check(Number.isFinite(w.width) && w.width >= 1, 'ARGUMENT', () => `'window.width' passed to 'decodeDicom' must be a finite number >= 1, got ${w.width}`);
    return w;
  }
  DatasetError.check(w === 'file' || w === 'minmax', 'ARGUMENT', () => `'window' passed to 'decodeDicom' must be 'file', 'minmax' or { center, width }, got ${String(w)}`);
  if (w === 'file') {
    const center = numberTag(ds, 'x00281050', 'WindowCenter (0028,1050)', NaN, fail);
    const width = numberTag(ds, 'x00281051', 'WindowWidth (0028,1051)', NaN, fail);
    if (Number.isFinite(center) !== Number.isFinite(width)) throw fail('the file has only one of WindowCenter (0028,1050) and WindowWidth (0028,1051)');
    if (Number.isFinite(width) && width < 1) throw fail(`WindowWidth (0028,1051) must be >= 1, got ${width}`);
    if (Number.isFinite(center)) return { center, width };
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
