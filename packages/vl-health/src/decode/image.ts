import type { RawImage } from '@healthgpt/tensor-core/base';
import { DatasetError } from '../errors.js';
import { openInside, readOpened } from '../files.js';
import { checkPixelCount, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS } from '../safety.js';
import { resizeImage } from '../resize.js';
import { decodeRaster } from './raster.js';
import { decodeDicom, type DicomWindow } from './dicom.js';
import { openNifti } from './nifti.js';
import { niftiHeaderSize } from './nifti_header.js';
import { sliceVoxels, type SliceOptions } from './slice.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'dicom' | 'nifti' | 'unknown';

/** Sniff the format from magic bytes (gzip is taken as NIfTI, the only gzip format read here). */
export function sniffFormat(b: Uint8Array): ImageFormat {
  const at = (o: number, s: string) => b.length >= o + s.length && [...s].every((c, i) => b[o + i] === c.charCodeAt(0));
  if (b.length >= 8 && b[0] === 0x89 && at(1, 'PNG')) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(128, 'DICM')) return 'dicom';
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'nifti';
  if (b.length >= 348 && niftiHeaderSize(b)) return 'nifti';
  return 'unknown';
}

export interface DecodeOptions {
  /** For PNG/JPEG/WebP: channel handling (default `keep`). */
  mode?: 'keep' | 'gray' | 'rgb';
  /** Resize the decoded image (sharp; at decode for PNG/JPEG/WebP). Counts against `maxPixels`. */
  resize?: { width: number; height: number };
  /** For DICOM: windowing (default: the file's window, else min–max). */
  window?: DicomWindow;
  /** For NIfTI: which slice (default: the middle axial slice, volume min–max). */
  slice?: SliceOptions;
  /** Largest decoded image (and NIfTI volume) in pixels (default 64 Mpx). */
  maxPixels?: number;
  /** Largest file, and largest decompressed NIfTI data, in bytes (default 256 MiB). */
  maxBytes?: number;
  file?: string;
}

/**
 * Decode image bytes of any supported format into a RawImage: PNG/JPEG/WebP as 8-bit, DICOM and
 * NIfTI as float [0, 1] (after rescale and windowing / normalisation), as DESIGN.md specifies.
 * A NIfTI slice is read straight from the file's voxels: no float copy of the whole volume.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<RawImage> {
  const { file, resize, maxPixels = DEFAULT_MAX_PIXELS, maxBytes = DEFAULT_MAX_BYTES } = opts;
  if (resize) {
    DatasetError.check(Number.isInteger(resize.width) && resize.width >= 1 && Number.isInteger(resize.height) && resize.height >= 1, 'ARGUMENT', () => `'resize' must be positive integer sizes, got ${resize.width}x${resize.height}`, { file });
    checkPixelCount([resize.width, resize.height], maxPixels, file);
  }
  if (bytes.length > maxBytes) throw new DatasetError('TOO_LARGE', `image of ${bytes.length} bytes exceeds the limit of ${maxBytes} (maxBytes)`, { file });
  let img: RawImage;
  switch (sniffFormat(bytes)) {
    case 'png':
    case 'jpeg':
    case 'webp':
      return decodeRaster(bytes, { mode: opts.mode, resize, maxPixels, file });
    case 'dicom':
      img = decodeDicom(bytes, { window: opts.window, maxPixels, file }).image;
      break;
    case 'nifti': {
      const { header, voxel } = await openNifti(bytes, { maxPixels, maxBytes, file });
      img = sliceVoxels(header.dims, voxel, opts.slice);
      break;
    }
    default:
      throw new DatasetError('DECODE', 'unrecognised image format (expected PNG, JPEG, WebP, DICOM or NIfTI)', { file });
  }
  return resize ? resizeImage(img, resize.width, resize.height, { maxPixels, file }) : img;
}

export interface LoadImageOptions extends DecodeOptions {
  /** Record index named in errors. */
  record?: number;
  /** Dotted path inside the record named in errors (e.g. `image[1]`). */
  path?: string;
}

/**
 * Read and decode `ref` inside `root`. The path rules: relative, no `..` escape, still inside the
 * root after following links, a regular file (no FIFO, device or folder) of at most `maxBytes`,
 * checked before anything is read. Every failure is a DatasetError naming the file and record.
 */
export async function loadImage(root: string, ref: string, opts: LoadImageOptions = {}): Promise<RawImage> {
  const where = { record: opts.record, path: opts.path };
  const bytes = await readOpened(await openInside(root, ref, opts.maxBytes, where));
  try {
    return await decodeImage(bytes, { ...opts, file: ref });
  } catch (e) {
    if (e instanceof DatasetError) throw new DatasetError(e.code, e.detail, { ...e.context, file: ref, ...where });
    throw e;
  }
}
