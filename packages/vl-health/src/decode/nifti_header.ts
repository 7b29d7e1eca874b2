import { DatasetError } from '../errors.js';
import { checkPixelCount } from '../safety.js';

/** What decoding needs from a NIfTI-1/2 header, checked. */
export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** [nx, ny, nz, nt] (missing dimensions are 1). */
  dims: [number, number, number, number];
  voxelSize: [number, number, number];
  datatypeCode: number;
  bytesPerVoxel: number;
  /** Where the voxels start (vox_offset, or the end of the header when a single file says 0). */
  dataOffset: number;
  /** `scl_slope` / `scl_inter` as applied: (1, 0) when the header's slope is 0 or not finite. */
  slope: number;
  inter: number;
  /** Bytes a decoder needs: `dataOffset` + voxels × bytes per voxel. */
  byteLength: number;
}

/** The fields read with nifti-reader-js (from a header-only copy, so it never walks extensions). */
export interface RawNiftiFields {
  littleEndian: boolean;
  dims: number[];
  pixDims: number[];
  datatypeCode: number;
  vox_offset: number;
  scl_slope: number;
  scl_inter: number;
  magic: string;
}

export const BYTES_PER_VOXEL: Record<number, number> = { 2: 1, 256: 1, 4: 2, 512: 2, 8: 4, 768: 4, 16: 4, 64: 8 };

/** The header's size: 348 (NIfTI-1) or 540 (NIfTI-2), in either byte order, or 0 when neither. */
export function niftiHeaderSize(b: Uint8Array): 348 | 540 | 0 {
  if (b.length < 4) return 0;
  const dv = new DataView(b.buffer, b.byteOffset, 4);
  for (const le of [true, false]) {
    const n = dv.getInt32(0, le);
    if (n === 348 || n === 540) return n;
  }
  return 0;
}

/**
 * A copy of the fixed header followed by four zero bytes (an empty extension flag), to hand to a
 * header parser: it holds nothing past the header, so no extension can be followed.
 */
export function headerOnlyCopy(b: Uint8Array, size: 348 | 540): ArrayBuffer {
  const copy = new Uint8Array(size + 4);
  copy.set(b.subarray(0, size));
  return copy.buffer;
}

/** Check the parsed fields and derive sizes; every failure is a DECODE / TOO_LARGE error naming the field. */
export function checkNiftiHeader(h: RawNiftiFields, version: 1 | 2, opts: { maxPixels: number; maxBytes: number; file?: string }): NiftiHeader {
  const { file } = opts;
  const fail = (msg: string) => new DatasetError('DECODE', `NIfTI: ${msg}`, { file });
  const magic = h.magic.replace(/\0/g, '');
  if (magic === 'ni1' || magic === 'ni2') throw fail('a header/image pair (.hdr + .img) is not supported: the voxels are in another file; convert it to a single .nii');
  const rank = h.dims[0];
  if (!(Number.isInteger(rank) && rank >= 1 && rank <= 7)) throw fail(`dim[0] must be 1..7, got ${rank}`);
  const d = [1, 2, 3, 4].map((i) => (i <= rank ? h.dims[i] : 1));
  for (let i = 5; i <= rank; i++) if (h.dims[i] !== 1) throw fail(`dimensions beyond 4 are not supported (dim[${i}] = ${h.dims[i]})`);
  checkPixelCount(d, opts.maxPixels, file);
  const bytesPerVoxel = BYTES_PER_VOXEL[h.datatypeCode];
  if (!bytesPerVoxel) throw fail(`unsupported datatype code ${h.datatypeCode}`);
  const headerEnd = (version === 1 ? 348 : 540) + 4;
  const off = h.vox_offset;
  if (!Number.isFinite(off) || off < 0) throw fail(`vox_offset must be a finite number >= 0, got ${off}`);
  // A single file whose vox_offset points into the header (0 from careless writers) keeps its
  // voxels right after the header and its 4-byte extension flag.
  const dataOffset = Math.floor(off) < headerEnd ? headerEnd : Math.floor(off);
  const byteLength = dataOffset + d[0] * d[1] * d[2] * d[3] * bytesPerVoxel;
  if (byteLength > opts.maxBytes)
    throw new DatasetError('TOO_LARGE', `NIfTI: the volume needs ${byteLength} bytes, more than the limit of ${opts.maxBytes} (maxBytes)`, { file });
  // NIfTI: scaling applies when scl_slope is finite and non-zero; then scl_inter must be finite.
  const scaled = Number.isFinite(h.scl_slope) && h.scl_slope !== 0;
  if (scaled && !Number.isFinite(h.scl_inter)) throw fail(`scl_inter must be finite when scl_slope is ${h.scl_slope}, got ${h.scl_inter}`);
  const px = (i: number) => (Number.isFinite(h.pixDims[i]) && h.pixDims[i] > 0 ? h.pixDims[i] : 1);
  return {
    version,
    littleEndian: h.littleEndian,
    dims: d as [number, number, number, number],
    voxelSize: [px(1), px(2), px(3)],
    datatypeCode: h.datatypeCode,
    bytesPerVoxel,
    dataOffset,
    slope: scaled ? h.scl_slope : 1,
    inter: scaled ? h.scl_inter : 0,
    byteLength,
  };
}

/**
 * Walk the header extensions between the header and the voxels: each is a size (a positive
 * multiple of 16, in the header's byte order) and a code; together they must end by `dataOffset`.
 * Every step moves at least 16 bytes forward, so the walk ends; a bad size is a DECODE error.
 */
export function checkExtensions(b: Uint8Array, h: NiftiHeader, file?: string): number {
  const start = (h.version === 1 ? 348 : 540) + 4;
  if (b.length < start || b[start - 4] === 0) return 0;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = start;
  let count = 0;
  while (at + 8 <= h.dataOffset) {
    const esize = dv.getInt32(at, h.littleEndian);
    if (esize === 0) break;
    if (!(esize >= 16 && esize % 16 === 0 && at + esize <= h.dataOffset))
      throw new DatasetError('DECODE', `NIfTI: header extension ${count} at byte ${at} has size ${esize}; it must be a positive multiple of 16 that ends by the voxel offset ${h.dataOffset}`, { file });
    at += esize;
    count++;
  }
  return count;
}
