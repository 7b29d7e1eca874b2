import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import type { ErrorContext } from '@healthgpt/tensor-core/base';
import { DatasetError, messageOf } from './errors.js';
import { DEFAULT_MAX_BYTES, isInside, resolveInside } from './safety.js';

/** Where a file is named in errors: the file plus the record and path that referenced it. */
export type Where = Pick<ErrorContext, 'file' | 'record' | 'path' | 'line'>;

export interface OpenedFile {
  fh: FileHandle;
  /** The resolved path (links followed). */
  path: string;
  size: number;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/**
 * Open a regular file for reading: FIFOs, devices, sockets and folders are refused before a byte
 * is read (a FIFO never blocks the open: it is opened non-blocking), and so is a file larger than
 * `maxBytes` (default 256 MiB). `path` must already be free of links (see `openInside`): a link
 * swapped in after the check is refused by O_NOFOLLOW.
 */
export async function openRegular(path: string, maxBytes: number = DEFAULT_MAX_BYTES, where: Where = {}): Promise<OpenedFile> {
  const ctx = { file: path, ...where };
  let fh: FileHandle;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ELOOP') throw new DatasetError('UNSAFE_PATH', 'is a symbolic link', { ...ctx, cause: e });
    throw new DatasetError('MISSING', `cannot open: ${messageOf(e)}`, { ...ctx, cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new DatasetError('UNSAFE_PATH', `is ${kind}, not a regular file`, ctx);
    }
    if (st.size > maxBytes) throw new DatasetError('TOO_LARGE', `file of ${st.size} bytes exceeds the limit of ${maxBytes} (maxBytes)`, ctx);
    return { fh, path, size: st.size };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Read an opened file whole (at most the size it had when opened). */
export async function readOpened(f: OpenedFile): Promise<Uint8Array> {
  try {
    const buf = new Uint8Array(f.size);
    let got = 0;
    while (got < f.size) {
      const { bytesRead } = await f.fh.read(buf, got, f.size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === f.size ? buf : buf.subarray(0, got);
  } finally {
    await f.fh.close();
  }
}

/** `openRegular` + `readOpened`: a whole regular file of at most `maxBytes`. */
export async function readRegular(path: string, maxBytes?: number, where: Where = {}): Promise<Uint8Array> {
  return readOpened(await openRegular(path, maxBytes, where));
}

/**
 * Open `ref` inside `root` by the path rules of every reader here: relative, no `..` escape, no
 * NUL byte; after following links it must still be inside the (link-resolved) root; then a
 * regular file of at most `maxBytes`. Errors are UNSAFE_PATH, MISSING or TOO_LARGE naming `ref`.
 */
export async function openInside(root: string, ref: string, maxBytes?: number, where: Where = {}): Promise<OpenedFile> {
  const ctx = { file: ref, ...where };
  const full = resolveInside(root, ref, ctx);
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
  } catch (e) {
    throw new DatasetError('MISSING', `data root ${root} cannot be read: ${messageOf(e)}`, { ...ctx, cause: e });
  }
  try {
    real = await realpath(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ELOOP') throw new DatasetError('UNSAFE_PATH', `"${ref}" is a loop of symbolic links`, { ...ctx, cause: e });
    throw new DatasetError('MISSING', `cannot read "${ref}": ${code === 'ENOENT' ? 'no such file' : messageOf(e)}`, { ...ctx, cause: e });
  }
  if (!isInside(realRoot, real)) throw new DatasetError('UNSAFE_PATH', `"${ref}" is a link that leads out of the data root ${realRoot}`, ctx);
  return openRegular(real, maxBytes, ctx);
}

/** `openInside` + `readOpened`. */
export async function readInside(root: string, ref: string, maxBytes?: number, where: Where = {}): Promise<Uint8Array> {
  return readOpened(await openInside(root, ref, maxBytes, where));
}

/** UTF-8 text without a leading byte-order mark. */
export function decodeText(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
