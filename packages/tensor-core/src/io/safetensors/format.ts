import { SafetensorsError } from '../../errors.js';
import { DTYPE_SIZE, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';

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

/** Elements of a shape (1 for a scalar, 0 when any dimension is 0). */
export const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const isDim = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** The header length the 8-byte prefix announces, checked against the bound and the file size. */
export function headerLengthOf(prefix: Uint8Array, totalBytes: number, file = '<bytes>'): number {
  if (totalBytes < 8 || prefix.length < 8) throw new SafetensorsError(`too short for a safetensors file (${totalBytes} bytes)`, { file });
  const n = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte bound`, { file });
  if (8 + n > totalBytes) throw new SafetensorsError(`header length ${n} runs past the end of the file (${totalBytes} bytes)`, { file });
  return n;
}

/**
 * Validate and parse a header (`prefix` holds at least the 8-byte length and the JSON): JSON,
 * dtypes, shapes, offsets inside the data, contiguous without overlap, byte count = shape × size.
 * Zero-element tensors (`[0, 3]`) are valid and take no bytes.
 */
export function parseHeader(prefix: Uint8Array, totalBytes: number, file = '<bytes>'): SafetensorsHeader {
  const n = headerLengthOf(prefix, totalBytes, file);
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
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string'))
        throw new SafetensorsError(`__metadata__ must map strings to strings`, { file });
      metadata = raw as Record<string, string>;
      continue;
    }
    const bad = (why: string) => new SafetensorsError(`tensor '${name}': ${why}`, { file, key: name });
    if (typeof raw !== 'object' || raw === null) throw bad('entry must be an object');
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    if (!isSafetensorsDtype(dtype)) throw bad(`unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isDim)) throw bad(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isDim) || offs[0] > offs[1])
      throw bad(`data_offsets must be [begin, end] with begin ≤ end, got ${JSON.stringify(offs)}`);
    const expected = numelOf(shape) * DTYPE_SIZE[dtype];
    if (offs[1] - offs[0] !== expected) throw bad(`holds ${offs[1] - offs[0]} bytes but shape [${shape}] of ${dtype} needs ${expected}`);
    if (offs[1] > dataBytes) throw bad(`data_offsets [${offs}] run past the data section (${dataBytes} bytes)`);
    tensors.set(name, { dtype, shape: shape as number[], dataOffsets: [offs[0], offs[1]] });
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

/** One tensor as the header describes it, before its bytes are known. */
export interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
}

/**
 * The 8-byte length and the JSON header (padded with spaces to a multiple of 8) for tensors laid
 * out in the given order; returns the bytes and the data section's length.
 */
export function serializeHeader(entries: readonly HeaderEntry[], metadata?: Record<string, string>): { bytes: Uint8Array; dataBytes: number } {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const { name, dtype, shape } of entries) {
    if (name === '__metadata__') throw new SafetensorsError(`'__metadata__' is reserved and cannot name a tensor`, { key: name });
    if (Object.hasOwn(header, name)) throw new SafetensorsError(`tensor '${name}' is listed twice`, { key: name });
    if (!isSafetensorsDtype(dtype)) throw new SafetensorsError(`tensor '${name}': unsupported dtype ${String(dtype)}`, { key: name });
    const size = numelOf(shape) * DTYPE_SIZE[dtype];
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new SafetensorsError(`metadata '${k}' must be a string, got ${typeof v}`);
    header.__metadata__ = metadata;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, dataBytes: offset };
}
