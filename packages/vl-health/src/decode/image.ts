import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from '../errors.js';
import { DEFAULT_MAX_PIXELS, resolveInside } from '../safety.js';
import { decodeRaster } from './raster.js';
import { decodeDicom, type DicomWindow } from './dicom.js';
import { decodeNifti } from './nifti.js';
import { sliceVolume, type SliceOptions } from './slice.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'dicom' | 'nifti' | 'unknown';

/** Sniff the format from magic bytes (gzip is taken as NIfTI, the only gzip format read here). */
export function sniffFormat(b: Uint8Array): ImageFormat {
  const at = (o: number, s: string) => b.length >= o + s.length && [...s].every((c, i) => b[o + i] === c.charCodeAt(0));
  if (b.length >= 8 && b[0] === 0x89 && at(1, 'PNG')) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(128, 'DICM')) return 'dicom';
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'nifti';
  if (b.length >= 348) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const sz = dv.getInt32(0, true);
    const szBe = dv.getInt32(0, false);
    if (sz === 348 || szBe === 348 || sz === 540 || szBe === 540) return 'nifti';
  }
  return 'unknown';
}

export interface DecodeOptions {
  /** For PNG/JPEG/WebP: channel handling (default `keep`). */
  mode?: 'keep' | 'gray' | 'rgb';
  /** For PNG/JPEG/WebP: resize while decoding. */
  resize?: { width: number; height: number };
  /** For DICOM: windowing (default: the file's window, else min–max). */
  window?: DicomWindow;
  /** For NIfTI: which slice (default: the middle axial slice, volume min–max). */
  slice?: SliceOptions;
  maxPixels?: number;
  file?: string;
}

/**
 * Decode image bytes of any supported format into a RawImage: PNG/JPEG/WebP as 8-bit, DICOM and
 * NIfTI as float [0, 1] (after rescale and windowing / normalisation), as DESIGN.md specifies.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<RawImage> {
  const fmt = sniffFormat(bytes);
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  switch (fmt) {
    case 'png':
    case 'jpeg':
    case 'webp':
      return decodeRaster(bytes, { mode: opts.mode, resize: opts.resize, maxPixels, file: opts.file });
    case 'dicom':
      return decodeDicom(bytes, { window: opts.window, maxPixels, file: opts.file }).image;
    case 'nifti':
      return sliceVolume(decodeNifti(bytes, { maxPixels, file: opts.file }), opts.slice);
    default:
      throw new DatasetError('DECODE', 'unrecognised image format (expected PNG, JPEG, WebP, DICOM or NIfTI)', { file: opts.file });
  }
}

export interface LoadImageOptions extends DecodeOptions {
  /** Record index named in errors. */
  record?: number;
}

/** Resolve `ref` inside `root` (refusing escapes), read and decode it; every failure is a DatasetError naming file and record. */
export async function loadImage(root: string, ref: string, opts: LoadImageOptions = {}): Promise<RawImage> {
  const where = { file: ref, record: opts.record };
  const full = resolveInside(root, ref, where);
  let bytes: Uint8Array;
  try {
    const st = await stat(full);
    if (!st.isFile()) throw new Error('not a regular file');
    // a symbolic link inside the root must not lead outside it
    const rel = relative(await realpath(root), await realpath(full));
    if (rel.startsWith('..') || isAbsolute(rel)) throw new DatasetError('UNSAFE_PATH', `image path "${ref}" is a link that leaves the data root`, where);
    bytes = await readFile(full);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError('MISSING', `cannot read image: ${(e as Error).message}`, { ...where, cause: e });
  }
  try {
    return await decodeImage(bytes, { ...opts, file: full });
  } catch (e) {
    if (e instanceof DatasetError) throw new DatasetError(e.code, e.detail, { ...e.context, file: full, record: opts.record });
    throw e;
  }
}
