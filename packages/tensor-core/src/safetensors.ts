import { open } from 'node:fs/promises';
import { writeFileAtomic } from './base/atomic.js';
import { tf, type Tensor, type DataType } from './tf.js';
import { SafetensorsError } from './errors.js';

/** Every dtype of the safetensors format that we read and write. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_SIZE: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const TF_DTYPE: Record<SafetensorsDtype, DataType> = {
  F64: 'float32',
  F32: 'float32',
  F16: 'float32',
  BF16: 'float32',
  I64: 'int32',
  I32: 'int32',
  I16: 'int32',
  I8: 'int32',
  U8: 'int32',
  BOOL: 'bool',
};

/** Headers larger than this are refused before any parsing (the reference implementation uses 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range inside the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Tensors in file order. */
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Byte length of the JSON header (after the 8-byte prefix). */
  headerLength: number;
}

export interface SafetensorsContents {
  /** Tensors in file order; the caller owns and disposes them. */
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file. */
  dtypes: Map<string, SafetensorsDtype>;
}

export interface LoadSafetensorsOptions {
  /** Load only these tensors (each read by its offset); unknown names are an error. */
  keys?: string[] | ((name: string) => boolean);
}

/** What a loaded tensor was in its file, so saving it again writes the same bytes. */
const origin = new WeakMap<Tensor, { dtype: SafetensorsDtype; raw?: Uint8Array }>();

/** The dtype a tensor had in the safetensors file it was loaded from, if any. */
export function fileDtypeOf(t: Tensor): SafetensorsDtype | undefined {
  return origin.get(t)?.dtype;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Validate and parse a header: JSON, dtypes, shapes, offsets inside the data, contiguous, sizes. */
export function parseHeader(prefix: Uint8Array, totalBytes: number, file = '<bytes>'): SafetensorsHeader {
  if (totalBytes < 8 || prefix.length < 8) throw new SafetensorsError(`too short for a safetensors file (${totalBytes} bytes)`, { file });
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte bound`, { file });
  if (8 + n > totalBytes) throw new SafetensorsError(`header length ${n} runs past the end of the file (${totalBytes} bytes)`, { file });
  if (prefix.length < 8 + n) throw new SafetensorsError(`header truncated`, { file });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON (${(e as Error).message})`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SafetensorsError(`header must be a JSON object`, { file });
  const dataBytes = totalBytes - 8 - n;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string'))
        throw new SafetensorsError(`__metadata__ must map strings to strings`, { file });
      metadata = raw as Record<string, string>;
      continue;
    }
    const bad = (why: string) => new SafetensorsError(`tensor '${name}': ${why}`, { file, key: name });
    if (typeof raw !== 'object' || raw === null) throw bad('entry must be an object');
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZE)) throw bad(`unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isInt)) throw bad(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isInt) || offs[0] > offs[1])
      throw bad(`data_offsets must be [begin, end] with begin ≤ end, got ${JSON.stringify(offs)}`);
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = numel * DTYPE_SIZE[dtype as SafetensorsDtype];
    if (offs[1] - offs[0] !== expected) throw bad(`holds ${offs[1] - offs[0]} bytes but shape [${shape}] of ${dtype} needs ${expected}`);
    if (offs[1] > dataBytes) throw bad(`data_offsets [${offs}] run past the data section (${dataBytes} bytes)`);
    tensors.set(name, { dtype: dtype as SafetensorsDtype, shape: shape as number[], dataOffsets: [offs[0], offs[1]] });
  }
  const sorted = [...tensors.entries()].sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let end = 0;
  for (const [name, info] of sorted) {
    if (info.dataOffsets[0] !== end)
      throw new SafetensorsError(
        `tensor '${name}' starts at byte ${info.dataOffsets[0]} of the data section, expected ${end} (tensors must be contiguous, without overlap)`,
        { file, key: name },
      );
    end = info.dataOffsets[1];
  }
  if (end !== dataBytes) throw new SafetensorsError(`tensors cover ${end} bytes but the data section has ${dataBytes}`, { file });
  return { tensors, metadata, headerLength: n };
}

function decode(info: TensorInfo, bytes: Uint8Array, name: string, file: string): Tensor {
  const n = info.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let data: Float32Array | Int32Array | Uint8Array;
  switch (info.dtype) {
    case 'F32':
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const f = new Float32Array(n);
      const u = new Uint32Array(f.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(i * 2, true) << 16;
      data = f;
      break;
    }
    case 'I64':
      data = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n)
          throw new SafetensorsError(`tensor '${name}' (I64) holds ${v} at element ${i}, outside the int32 range tensors use`, { file, key: name });
        data[i] = Number(v);
      }
      break;
    case 'I32':
      data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt8(i);
      break;
    case 'U8':
      data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = bytes[i];
      break;
    case 'BOOL':
      data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = bytes[i] ? 1 : 0;
      break;
  }
  const t = tf.tensor(data, info.shape, TF_DTYPE[info.dtype]);
  // F64 is narrowed to float32: keep its bytes so an unchanged tensor saves back identically.
  origin.set(t, info.dtype === 'F64' ? { dtype: 'F64', raw: bytes.slice() } : { dtype: info.dtype });
  return t;
}

function selector(keys: LoadSafetensorsOptions['keys'], header: SafetensorsHeader, file: string): (name: string) => boolean {
  if (!keys) return () => true;
  if (typeof keys === 'function') return keys;
  const unknown = keys.filter((k) => !header.tensors.has(k));
  if (unknown.length) throw new SafetensorsError(`no tensor named ${unknown.map((k) => `'${k}'`).join(', ')}`, { file, key: unknown[0] });
  const set = new Set(keys);
  return (name) => set.has(name);
}

/** Parse a whole safetensors file held in memory. */
export function parseSafetensors(bytes: Uint8Array, { keys }: LoadSafetensorsOptions = {}, file = '<bytes>'): SafetensorsContents {
  const header = parseHeader(bytes, bytes.length, file);
  const base = 8 + header.headerLength;
  const want = selector(keys, header, file);
  const out: SafetensorsContents = { tensors: new Map(), metadata: header.metadata, dtypes: new Map() };
  try {
    for (const [name, info] of header.tensors) {
      if (!want(name)) continue;
      out.tensors.set(name, decode(info, bytes.subarray(base + info.dataOffsets[0], base + info.dataOffsets[1]), name, file));
      out.dtypes.set(name, info.dtype);
    }
  } catch (e) {
    out.tensors.forEach((t) => t.dispose());
    throw e;
  }
  return out;
}

/** Read and validate only the header of a file (cheap, whatever the file's size). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await openOrThrow(path);
  try {
    const { size } = await fh.stat();
    const pre = new Uint8Array(8);
    await fh.read(pre, 0, Math.min(8, size), 0);
    if (size < 8) return parseHeader(pre.subarray(0, size), size, path);
    const n = Number(new DataView(pre.buffer).getBigUint64(0, true));
    if (n > MAX_HEADER_BYTES || 8 + n > size) return parseHeader(pre, size, path);
    const head = new Uint8Array(8 + n);
    await fh.read(head, 0, 8 + n, 0);
    return parseHeader(head, size, path);
  } finally {
    await fh.close();
  }
}

async function openOrThrow(path: string) {
  try {
    return await open(path, 'r');
  } catch (e) {
    throw new SafetensorsError(`cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path });
  }
}

/**
 * Load tensors from a safetensors file. Each tensor is read at its own offset, so loading a
 * subset (or a multi-GB checkpoint one tensor at a time) needs about 1x the selected bytes.
 */
export async function loadSafetensors(path: string, { keys }: LoadSafetensorsOptions = {}): Promise<SafetensorsContents> {
  const header = await readSafetensorsHeader(path);
  const want = selector(keys, header, path);
  const base = 8 + header.headerLength;
  const out: SafetensorsContents = { tensors: new Map(), metadata: header.metadata, dtypes: new Map() };
  const fh = await openOrThrow(path);
  try {
    for (const [name, info] of header.tensors) {
      if (!want(name)) continue;
      const len = info.dataOffsets[1] - info.dataOffsets[0];
      const buf = new Uint8Array(len);
      const { bytesRead } = await fh.read(buf, 0, len, base + info.dataOffsets[0]);
      if (bytesRead !== len) throw new SafetensorsError(`tensor '${name}' truncated (read ${bytesRead} of ${len} bytes)`, { file: path, key: name });
      out.tensors.set(name, decode(info, buf, name, path));
      out.dtypes.set(name, info.dtype);
    }
  } catch (e) {
    out.tensors.forEach((t) => t.dispose());
    throw e;
  } finally {
    await fh.close();
  }
  return out;
}

export interface SaveSafetensorsOptions {
  /** File dtype per tensor; defaults to the dtype it was loaded with, else F32 / I32 / BOOL. */
  dtypes?: Record<string, SafetensorsDtype> | Map<string, SafetensorsDtype>;
}

function defaultDtype(t: Tensor): SafetensorsDtype {
  const remembered = fileDtypeOf(t);
  if (remembered) return remembered;
  switch (t.dtype) {
    case 'float32':
      return 'F32';
    case 'int32':
      return 'I32';
    case 'bool':
      return 'BOOL';
    default:
      throw new SafetensorsError(`cannot save a ${t.dtype} tensor to safetensors`);
  }
}

function encode(t: Tensor, dtype: SafetensorsDtype, name: string): Uint8Array {
  const o = origin.get(t);
  if (o?.raw && o.dtype === dtype) return o.raw;
  const values = t.dataSync();
  const n = values.length;
  const out = new Uint8Array(n * DTYPE_SIZE[dtype]);
  const view = new DataView(out.buffer);
  const isFloat = dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
  if (!isFloat && t.dtype === 'float32') {
    for (let i = 0; i < n; i++)
      if (!Number.isInteger(values[i])) throw new SafetensorsError(`tensor '${name}': float value ${values[i]} at element ${i} cannot be stored as ${dtype}`, { key: name });
  }
  const range = (lo: number, hi: number) => {
    for (let i = 0; i < n; i++)
      if (values[i] < lo || values[i] > hi) throw new SafetensorsError(`tensor '${name}': value ${values[i]} at element ${i} does not fit ${dtype}`, { key: name });
  };
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i], true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) view.setFloat64(i * 8, values[i], true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) view.setUint16(i * 2, floatToHalf(values[i]), true);
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) view.setUint16(i * 2, floatToBfloat16(values[i]), true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) view.setBigInt64(i * 8, BigInt(values[i]), true);
      break;
    case 'I32':
      range(-2147483648, 2147483647);
      for (let i = 0; i < n; i++) view.setInt32(i * 4, values[i], true);
      break;
    case 'I16':
      range(-32768, 32767);
      for (let i = 0; i < n; i++) view.setInt16(i * 2, values[i], true);
      break;
    case 'I8':
      range(-128, 127);
      for (let i = 0; i < n; i++) view.setInt8(i, values[i]);
      break;
    case 'U8':
      range(0, 255);
      for (let i = 0; i < n; i++) out[i] = values[i];
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
      break;
  }
  return out;
}

/** Serialise tensors (in the map's order) and metadata into safetensors bytes. */
export function serializeSafetensors(
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
  { dtypes }: SaveSafetensorsOptions = {},
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const dt = dtypes instanceof Map ? dtypes : new Map(Object.entries(dtypes ?? {}));
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new SafetensorsError(`'__metadata__' is reserved and cannot name a tensor`, { key: name });
    const dtype = dt.get(name) ?? defaultDtype(t);
    if (!(dtype in DTYPE_SIZE)) throw new SafetensorsError(`tensor '${name}': unsupported dtype ${dtype}`, { key: name });
    const bytes = encode(t, dtype, name);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new SafetensorsError(`metadata '${k}' must be a string, got ${typeof v}`);
    header.__metadata__ = metadata;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}


/** Save tensors to a safetensors file, atomically (never a half-written file at `path`). */
export async function saveSafetensors(
  path: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
  options: SaveSafetensorsOptions = {},
): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata, options);
  await writeFileAtomic(path, bytes);
}

// IEEE half ↔ single, round to nearest even.
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++;
  return sign | r;
}

function floatToBfloat16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}
