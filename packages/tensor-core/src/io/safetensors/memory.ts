import { tf, type Tensor } from '../../tf.js';
import { SafetensorsError } from '../../errors.js';
import { HOST_DTYPE, decodeValues, type SafetensorsDtype } from './dtypes.js';
import { numelOf, parseHeader, serializeHeader, type SafetensorsHeader, type TensorInfo } from './format.js';
import { entriesOf, rememberOrigin, storedDtype, tensorBytes, type TensorData } from './tensor_data.js';

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

export interface SaveSafetensorsOptions {
  /** File dtype per tensor; defaults to the dtype it was loaded with, else F32 / I32 / BOOL. */
  dtypes?: Record<string, SafetensorsDtype> | Map<string, SafetensorsDtype>;
}

/** A tensor from its file bytes; it remembers its file dtype (and F64 bytes) for a byte-identical save. */
export function decodeTensor(info: TensorInfo, bytes: Uint8Array, name: string, file?: string): Tensor {
  const t = tf.tensor(decodeValues(info.dtype, bytes, numelOf(info.shape), name, file), info.shape, HOST_DTYPE[info.dtype]);
  rememberOrigin(t, info.dtype, info.dtype === 'F64' ? bytes.slice() : undefined);
  return t;
}

/** The predicate `keys` describes; a listed name the header lacks is an error. */
export function keySelector(keys: LoadSafetensorsOptions['keys'], header: SafetensorsHeader, file: string): (name: string) => boolean {
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
  const want = keySelector(keys, header, file);
  const out: SafetensorsContents = { tensors: new Map(), metadata: header.metadata, dtypes: new Map() };
  try {
    for (const [name, info] of header.tensors) {
      if (!want(name)) continue;
      out.tensors.set(name, decodeTensor(info, bytes.subarray(base + info.dataOffsets[0], base + info.dataOffsets[1]), name, file));
      out.dtypes.set(name, info.dtype);
    }
  } catch (e) {
    out.tensors.forEach((t) => t.dispose());
    throw e;
  }
  return out;
}

/** Serialise tensors (in the map's order) and metadata into safetensors bytes. */
export function serializeSafetensors(
  tensors: Map<string, TensorData> | Record<string, TensorData>,
  metadata?: Record<string, string>,
  { dtypes }: SaveSafetensorsOptions = {},
): Uint8Array {
  const dt = dtypes instanceof Map ? dtypes : new Map(Object.entries(dtypes ?? {}));
  const entries = entriesOf(tensors).map(([name, t]) => ({ name, t, dtype: storedDtype(t, name, dt.get(name)) }));
  const { bytes: head, dataBytes } = serializeHeader(entries.map(({ name, t, dtype }) => ({ name, dtype, shape: t.shape })), metadata);
  const out = new Uint8Array(head.length + dataBytes);
  out.set(head);
  let pos = head.length;
  for (const { name, t, dtype } of entries) {
    const b = tensorBytes(t, dtype, name);
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}
