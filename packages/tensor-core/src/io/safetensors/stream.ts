import type { FileHandle } from 'node:fs/promises';
import { SafetensorsError } from '../../errors.js';
import type { SafetensorsDtype } from './dtypes.js';
import { serializeHeader } from './format.js';
import { entriesOf, storedBytes, storedDtype, tensorBytes, type TensorData } from './tensor_data.js';

export interface WriteSafetensorsOptions {
  /** `__metadata__` strings. */
  metadata?: Record<string, string>;
  /** File dtype per tensor; defaults to the dtype it was loaded with, else F32 / I32 / BOOL. */
  dtypes?: Record<string, SafetensorsDtype> | Map<string, SafetensorsDtype>;
}

/**
 * Write a safetensors file to an open handle: the header (all shapes and dtypes are known up
 * front), then each tensor's bytes in turn, so memory holds one tensor's bytes at a time.
 * Returns the bytes written.
 */
export async function writeSafetensorsTo(
  fh: FileHandle,
  tensors: Map<string, TensorData> | Record<string, TensorData> | Iterable<readonly [string, TensorData]>,
  { metadata, dtypes }: WriteSafetensorsOptions = {},
): Promise<number> {
  const dt = dtypes instanceof Map ? dtypes : new Map(Object.entries(dtypes ?? {}));
  const entries = entriesOf(tensors).map(([name, t]) => ({ name, t, dtype: storedDtype(t, name, dt.get(name)) }));
  const { bytes: head, dataBytes } = serializeHeader(entries.map(({ name, t, dtype }) => ({ name, dtype, shape: t.shape })), metadata);
  await writeAll(fh, head, 0);
  let pos = head.length;
  for (const { name, t, dtype } of entries) {
    const b = tensorBytes(t, dtype, name);
    if (b.length !== storedBytes(t, dtype)) throw new SafetensorsError(`tensor '${name}' encoded to ${b.length} bytes, its header says ${storedBytes(t, dtype)}`, { key: name });
    await writeAll(fh, b, pos);
    pos += b.length;
  }
  if (pos !== head.length + dataBytes) throw new SafetensorsError(`wrote ${pos} bytes, the header announced ${head.length + dataBytes}`);
  return pos;
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
