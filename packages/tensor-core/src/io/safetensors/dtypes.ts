import { SafetensorsError } from '../../errors.js';

/** Every dtype of the safetensors format that we read and write. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each file dtype. */
export const DTYPE_SIZE: Readonly<Record<SafetensorsDtype, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** The in-memory dtype each file dtype is read as (TensorFlow.js has float32, int32 and bool). */
export type HostDtype = 'float32' | 'int32' | 'bool';
export type HostArray = Float32Array | Int32Array | Uint8Array;

export const HOST_DTYPE: Readonly<Record<SafetensorsDtype, HostDtype>> = {
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

export const isSafetensorsDtype = (d: unknown): d is SafetensorsDtype => typeof d === 'string' && Object.hasOwn(DTYPE_SIZE, d);
export const isFloatDtype = (d: SafetensorsDtype): boolean => d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decode `numel` elements of `dtype` (little-endian, as the format stores them) into the host
 * array of its `HOST_DTYPE`. I64 values outside int32 are an error naming the tensor.
 */
export function decodeValues(dtype: SafetensorsDtype, bytes: Uint8Array, numel: number, name: string, file?: string): HostArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(numel);
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(0, numel * 4));
      else for (let i = 0; i < numel; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(numel);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) u[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n)
          throw new SafetensorsError(`tensor '${name}' (I64) holds ${v} at element ${i}, outside the int32 range tensors use`, { file, key: name });
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32': {
      const out = new Int32Array(numel);
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(0, numel * 4));
      else for (let i = 0; i < numel; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'I16': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = view.getInt8(i);
      return out;
    }
    case 'U8': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = bytes[i];
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(numel);
      for (let i = 0; i < numel; i++) out[i] = bytes[i] ? 1 : 0;
      return out;
    }
  }
}

/**
 * Encode host values as `dtype` (little-endian). Values that do not fit an integer dtype, and
 * non-integer floats stored as integers, are errors naming the tensor and the element.
 */
export function encodeValues(values: ArrayLike<number>, dtype: SafetensorsDtype, name: string): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * DTYPE_SIZE[dtype]);
  const view = new DataView(out.buffer);
  if (!isFloatDtype(dtype)) {
    for (let i = 0; i < n; i++)
      if (!Number.isInteger(values[i])) throw new SafetensorsError(`tensor '${name}': value ${values[i]} at element ${i} cannot be stored as ${dtype}`, { key: name });
  }
  const range = (lo: number, hi: number) => {
    for (let i = 0; i < n; i++)
      if (values[i] < lo || values[i] > hi) throw new SafetensorsError(`tensor '${name}': value ${values[i]} at element ${i} does not fit ${dtype}`, { key: name });
  };
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) new Float32Array(out.buffer).set(values);
      else for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i], true);
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
      out.set(values);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
      break;
  }
  return out;
}

/** IEEE half → single. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Single → IEEE half, round to nearest even (overflow to ±Inf, NaN kept). */
export function floatToHalf(v: number): number {
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

/** Single → bfloat16, round to nearest even (NaN kept quiet). */
export function floatToBfloat16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}
