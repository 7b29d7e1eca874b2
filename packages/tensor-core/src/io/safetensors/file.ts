import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { mkdir, rename, unlink } from 'node:fs/promises';
import type { Tensor } from '../../tf.js';
import { syncDir } from '../../base/atomic.js';
import { openRequiredFile } from '../fs/safe_open.js';
import type { SafetensorsHeader } from './format.js';
import { decodeTensor, keySelector, type LoadSafetensorsOptions, type SafetensorsContents, type SaveSafetensorsOptions } from './memory.js';
import { readHeaderOf, readTensorBytes } from './read.js';
import { writeSafetensorsTo } from './stream.js';
import type { TensorData } from './tensor_data.js';

/** Read and validate only the header of a file (cheap, whatever the file's size). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const file = await openRequiredFile(path);
  try {
    return await readHeaderOf(file);
  } finally {
    await file.fh.close();
  }
}

/**
 * Load tensors from a safetensors file (a regular file: FIFOs and devices are refused without
 * blocking). Each tensor is read at its own offset, so loading a subset (or a multi-GB
 * checkpoint one tensor at a time) needs about 1x the selected bytes.
 */
export async function loadSafetensors(path: string, { keys }: LoadSafetensorsOptions = {}): Promise<SafetensorsContents> {
  const file = await openRequiredFile(path);
  const out: SafetensorsContents = { tensors: new Map(), metadata: {}, dtypes: new Map() };
  try {
    const header = await readHeaderOf(file);
    out.metadata = header.metadata;
    const want = keySelector(keys, header, path);
    for (const [name, info] of header.tensors) {
      if (!want(name)) continue;
      out.tensors.set(name, decodeTensor(info, await readTensorBytes(file, header, info, name), name, path));
      out.dtypes.set(name, info.dtype);
    }
  } catch (e) {
    out.tensors.forEach((t) => t.dispose());
    throw e;
  } finally {
    await file.fh.close();
  }
  return out;
}

/**
 * Save tensors to a safetensors file atomically: written tensor by tensor to a temporary file
 * beside it, fsync'd, renamed over `path` (never a half-written file at `path`).
 */
export async function saveSafetensors(
  path: string,
  tensors: Map<string, TensorData> | Record<string, TensorData> | Map<string, Tensor>,
  metadata?: Record<string, string>,
  { dtypes }: SaveSafetensorsOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  try {
    await writeSafetensorsTo(fh, tensors, { metadata, dtypes });
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dir);
}
