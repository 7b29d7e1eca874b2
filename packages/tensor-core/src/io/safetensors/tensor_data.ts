import { SafetensorsError } from '../../errors.js';
import { DTYPE_SIZE, encodeValues, type SafetensorsDtype } from './dtypes.js';
import { numelOf } from './format.js';

/**
 * What the writers store: anything with a shape, a dtype and its values. A TensorFlow.js tensor
 * is one; so is `{ shape, dtype: 'float32', dataSync: () => values }` (the writers need no tfjs).
 */
export interface TensorData {
  readonly shape: readonly number[];
  readonly dtype: string;
  dataSync(): ArrayLike<number>;
}

/** Where a loaded tensor came from, so saving it again writes the same bytes. */
interface Origin {
  dtype: SafetensorsDtype;
  /** The file's bytes when decoding lost information (F64 read as float32). */
  raw?: Uint8Array;
}

const origins = new WeakMap<object, Origin>();

/** Remember the file dtype (and, when narrowed, the bytes) of a tensor just read from a file. */
export function rememberOrigin(t: object, dtype: SafetensorsDtype, raw?: Uint8Array): void {
  origins.set(t, raw ? { dtype, raw } : { dtype });
}

/** The dtype a tensor had in the safetensors file it was loaded from, if any. */
export function fileDtypeOf(t: object): SafetensorsDtype | undefined {
  return origins.get(t)?.dtype;
}

/** The file dtype to store `t` as: the one asked for, else the one it was loaded with, else F32 / I32 / BOOL. */
export function storedDtype(t: TensorData, name: string, asked?: SafetensorsDtype): SafetensorsDtype {
  if (asked) return asked;
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
      throw new SafetensorsError(`cannot save a ${t.dtype} tensor to safetensors`, { key: name });
  }
}

/** Bytes `t` takes as `dtype` (known before its values are read). */
export const storedBytes = (t: TensorData, dtype: SafetensorsDtype): number => numelOf(t.shape) * DTYPE_SIZE[dtype];

/** The bytes of `t` as `dtype`: the remembered file bytes when unchanged, else its values encoded. */
export function tensorBytes(t: TensorData, dtype: SafetensorsDtype, name: string): Uint8Array {
  const o = origins.get(t);
  if (o?.raw && o.dtype === dtype) return o.raw;
  const values = t.dataSync();
  const n = numelOf(t.shape);
  if (values.length !== n) throw new SafetensorsError(`tensor '${name}' has ${values.length} values for shape [${t.shape}]`, { key: name });
  return encodeValues(values, dtype, name);
}

/** Entries of a map or record, in order. */
export function entriesOf<T>(tensors: Map<string, T> | Record<string, T> | Iterable<readonly [string, T]>): [string, T][] {
  if (tensors instanceof Map) return [...tensors];
  if (Symbol.iterator in (tensors as object)) return [...(tensors as Iterable<readonly [string, T]>)].map(([k, v]) => [k, v]);
  return Object.entries(tensors as Record<string, T>);
}
