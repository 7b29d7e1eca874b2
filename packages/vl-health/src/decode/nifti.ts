import { DatasetError, messageOf } from '../errors.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS } from '../safety.js';
import { gunzipBounded } from './gunzip.js';
import { checkExtensions, checkNiftiHeader, headerOnlyCopy, niftiHeaderSize, type NiftiHeader, type RawNiftiFields } from './nifti_header.js';

/** A NIfTI volume as float32 after `scl_slope` / `scl_inter`, x fastest: index = x + nx·(y + ny·(z + nz·t)). */
export interface NiftiVolume {
  /** [nx, ny, nz, nt] (missing dimensions are 1). */
  dims: [number, number, number, number];
  /** Voxel sizes [dx, dy, dz] (mm). */
  voxelSize: [number, number, number];
  datatypeCode: number;
  data: Float32Array;
}

export interface NiftiOptions {
  /** Largest voxel count (default 64 Mi). */
  maxPixels?: number;
  /** Largest (decompressed) file size in bytes (default 256 MiB). */
  maxBytes?: number;
  file?: string;
}

/** A parsed NIfTI file: its header and a reader of voxel `i` (scaled), over the file's own bytes. */
export interface NiftiVoxels {
  header: NiftiHeader;
  voxel: (i: number) => number;
}

const GZIP = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

// nifti-reader-js ships ESM only; a dynamic import loads it from the CommonJS build too.
let niftiLib: Promise<typeof import('nifti-reader-js')> | undefined;
const loadNiftiLib = () => (niftiLib ??= import('nifti-reader-js'));

/**
 * Parse NIfTI-1/2 bytes (optionally gzip-compressed) without converting the voxels: the header is
 * read from a header-only copy (extensions are walked and bounded here), gzip is inflated only as
 * far as the header says the voxels reach, and nothing larger than `maxBytes` is allocated.
 */
export async function openNifti(bytes: Uint8Array, opts: NiftiOptions = {}): Promise<NiftiVoxels> {
  const { file, maxPixels = DEFAULT_MAX_PIXELS, maxBytes = DEFAULT_MAX_BYTES } = opts;
  const fail = (msg: string, cause?: unknown) => new DatasetError('DECODE', `NIfTI: ${msg}`, { file, cause });
  const nifti = await loadNiftiLib();
  let header: NiftiHeader | undefined;
  const parse = (b: Uint8Array): NiftiHeader => {
    const size = niftiHeaderSize(b);
    if (!size || b.length < size) throw fail('not a NIfTI-1/2 file (bad header size or truncated header)');
    const copy = headerOnlyCopy(b, size);
    if (!nifti.isNIFTI(copy, true)) throw fail('not a NIfTI-1/2 file (bad magic)');
    let raw: RawNiftiFields;
    try {
      raw = nifti.readHeader(copy, true) as unknown as RawNiftiFields;
    } catch (e) {
      throw fail(`cannot read header: ${messageOf(e)}`, e);
    }
    return checkNiftiHeader(raw, size === 348 ? 1 : 2, { maxPixels, maxBytes, file });
  };
  let raw = bytes;
  if (GZIP(bytes)) {
    raw = await gunzipBounded(bytes, 544, (head) => (header = parse(head)).byteLength, file);
  } else if (bytes.length > maxBytes) {
    throw new DatasetError('TOO_LARGE', `NIfTI: file of ${bytes.length} bytes exceeds the limit of ${maxBytes} (maxBytes)`, { file });
  }
  const h = header ?? parse(raw);
  checkExtensions(raw, h, file);
  if (raw.length < h.byteLength) throw fail(`data truncated: need ${h.byteLength - h.dataOffset} bytes at offset ${h.dataOffset}, have ${Math.max(0, raw.length - h.dataOffset)}`);
  const view = new DataView(raw.buffer, raw.byteOffset + h.dataOffset, h.byteLength - h.dataOffset);
  const get = voxelReader(h.datatypeCode, h.littleEndian, view);
  const { slope, inter } = h;
  return { header: h, voxel: slope === 1 && inter === 0 ? get : (i) => get(i) * slope + inter };
}

/** Parse NIfTI-1/2 bytes (optionally gzip-compressed) into a float volume. */
export async function decodeNifti(bytes: Uint8Array, opts: NiftiOptions = {}): Promise<NiftiVolume> {
  const { header: h, voxel } = await openNifti(bytes, opts);
  const [nx, ny, nz, nt] = h.dims;
  const data = new Float32Array(nx * ny * nz * nt);
  for (let i = 0; i < data.length; i++) data[i] = voxel(i);
  return { dims: h.dims, voxelSize: h.voxelSize, datatypeCode: h.datatypeCode, data };
}

function voxelReader(code: number, le: boolean, v: DataView): (i: number) => number {
  switch (code) {
    case 2: return (i) => v.getUint8(i);
    case 256: return (i) => v.getInt8(i);
    case 4: return (i) => v.getInt16(2 * i, le);
    case 512: return (i) => v.getUint16(2 * i, le);
    case 8: return (i) => v.getInt32(4 * i, le);
    case 768: return (i) => v.getUint32(4 * i, le);
    case 16: return (i) => v.getFloat32(4 * i, le);
    case 64: return (i) => v.getFloat64(8 * i, le);
    default: throw new DatasetError('DECODE', `NIfTI: unsupported datatype code ${code}`);
  }
}
