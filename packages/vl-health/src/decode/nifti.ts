import { gunzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { DatasetError } from '../errors.js';
import { checkPixelCount, DEFAULT_MAX_PIXELS } from '../safety.js';

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
  maxPixels?: number;
  file?: string;
}

const GZIP = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Parse NIfTI-1/2 bytes (optionally gzip-compressed) into a float volume. */
export function decodeNifti(bytes: Uint8Array, opts: NiftiOptions = {}): NiftiVolume {
  const { file, maxPixels = DEFAULT_MAX_PIXELS } = opts;
  const fail = (msg: string, cause?: unknown) => new DatasetError('DECODE', `NIfTI: ${msg}`, { file, cause });
  let raw = bytes;
  if (GZIP(bytes)) {
    try {
      raw = gunzipSync(bytes, { maxOutputLength: 1024 + maxPixels * 8 });
    } catch (e) {
      if ((e as { code?: string })?.code === 'ERR_BUFFER_TOO_LARGE')
        throw new DatasetError('TOO_LARGE', `NIfTI: decompressed size exceeds the limit for ${maxPixels} pixels`, { file, cause: e });
      throw fail(`corrupt gzip stream: ${(e as Error)?.message ?? e}`, e);
    }
  }
  const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  if (!nifti.isNIFTI(ab)) throw fail('not a NIfTI-1/2 file (bad size or magic)');
  let h: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    h = nifti.readHeader(ab);
  } catch (e) {
    throw fail(`cannot read header: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const rank = h.dims[0];
  if (!(Number.isInteger(rank) && rank >= 1 && rank <= 7)) throw fail(`dim[0] must be 1..7, got ${rank}`);
  const d = [1, 2, 3, 4].map((i) => (i <= rank ? h.dims[i] : 1));
  for (let i = 5; i <= rank; i++) if (h.dims[i] !== 1) throw fail(`dimensions beyond 4 are not supported (dim[${i}] = ${h.dims[i]})`);
  checkPixelCount(d, maxPixels, file);
  const [nx, ny, nz, nt] = d;
  const n = nx * ny * nz * nt;
  const reader = voxelReader(h.datatypeCode);
  if (!reader) throw fail(`unsupported datatype code ${h.datatypeCode}`);
  const off = Math.floor(h.vox_offset);
  if (!(off >= 0) || off + n * reader.size > raw.byteLength) throw fail(`data truncated: need ${n * reader.size} bytes at offset ${off}, have ${Math.max(0, raw.byteLength - off)}`);
  const view = new DataView(ab, off, n * reader.size);
  const slope = Number.isFinite(h.scl_slope) && h.scl_slope !== 0 ? h.scl_slope : 1;
  const inter = Number.isFinite(h.scl_inter) && h.scl_slope !== 0 ? h.scl_inter : 0;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = reader.get(view, i * reader.size, h.littleEndian) * slope + inter;
  const px = (i: number) => (Number.isFinite(h.pixDims[i]) && h.pixDims[i] > 0 ? h.pixDims[i] : 1);
  return { dims: [nx, ny, nz, nt], voxelSize: [px(1), px(2), px(3)], datatypeCode: h.datatypeCode, data };
}

type Reader = { size: number; get: (v: DataView, o: number, le: boolean) => number };

function voxelReader(code: number): Reader | null {
  switch (code) {
    case 2: return { size: 1, get: (v, o) => v.getUint8(o) };
    case 256: return { size: 1, get: (v, o) => v.getInt8(o) };
    case 4: return { size: 2, get: (v, o, le) => v.getInt16(o, le) };
    case 512: return { size: 2, get: (v, o, le) => v.getUint16(o, le) };
    case 8: return { size: 4, get: (v, o, le) => v.getInt32(o, le) };
    case 768: return { size: 4, get: (v, o, le) => v.getUint32(o, le) };
    case 16: return { size: 4, get: (v, o, le) => v.getFloat32(o, le) };
    case 64: return { size: 8, get: (v, o, le) => v.getFloat64(o, le) };
    default: return null;
  }
}
