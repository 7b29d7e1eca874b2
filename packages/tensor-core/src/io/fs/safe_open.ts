import { constants } from 'node:fs';
import { lstat, open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';
import { TensorCoreError } from '../../errors.js';

/** A regular file opened for reading, with the identity it had when opened. */
export interface OpenedFile {
  fh: FileHandle;
  /** The path it was opened by. */
  path: string;
  size: number;
  dev: number;
  ino: number;
}

export interface SafeOpenOptions {
  /**
   * The folder the file must stay in: a symbolic link is followed only when its target lies
   * inside `root` (a link out of the folder is refused).
   */
  root?: string;
  /** Return null instead of throwing when the file does not exist. */
  optional?: boolean;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
const fail = (message: string, file: string, cause?: unknown) => new TensorCoreError('FOLDER', message, { file, cause });

/** What a non-regular file is, for messages. */
function kindOf(s: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** True when `path` lies inside folder `root` (both absolute, resolved). */
export const isInside = (path: string, root: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * Open a regular file for reading without ever blocking and without leaving `root`: the path is
 * lstat'ed first (FIFOs, devices, sockets and folders are refused before any open; a symbolic link
 * is followed only when its real target lies inside `root`), then opened non-blocking and
 * fstat'ed, and the handle must be the very file that was checked.
 */
export async function openRegularFile(path: string, { root, optional = false }: SafeOpenOptions = {}): Promise<OpenedFile | null> {
  let first;
  try {
    first = await lstat(path);
  } catch (e) {
    if (optional && errno(e) === 'ENOENT') return null;
    throw fail(errno(e) === 'ENOENT' ? 'does not exist' : `cannot read (${errno(e)})`, path, e);
  }
  let target = first;
  if (first.isSymbolicLink()) {
    let real: string;
    try {
      real = await realpath(path);
      target = await stat(real);
    } catch (e) {
      if (optional && errno(e) === 'ENOENT') return null;
      throw fail(`is a symbolic link that cannot be followed (${errno(e)})`, path, e);
    }
    if (root !== undefined && !isInside(real, await realpath(root).catch(() => root)))
      throw fail(`is a symbolic link to ${real}, outside the folder ${root}; only files inside the folder are read`, path);
  }
  if (!target.isFile()) throw fail(`is ${kindOf(target)}; only regular files are read`, path);
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (first.isSymbolicLink() ? 0 : (constants.O_NOFOLLOW ?? 0));
  let fh: FileHandle;
  try {
    fh = await open(path, flags);
  } catch (e) {
    throw fail(`cannot open (${errno(e)})`, path, e);
  }
  const now = await fh.stat();
  if (!now.isFile() || now.ino !== target.ino || now.dev !== target.dev) {
    await fh.close();
    throw fail(`changed while it was being opened`, path);
  }
  return { fh, path, size: now.size, dev: now.dev, ino: now.ino };
}

/** Like `openRegularFile`, for a file that must exist. */
export async function openRequiredFile(path: string, options: Omit<SafeOpenOptions, 'optional'> = {}): Promise<OpenedFile> {
  return (await openRegularFile(path, options))!;
}

/** Read `length` bytes at `position`; a short read is an error naming the file. */
export async function readExactly(file: OpenedFile, length: number, position: number, what = 'data'): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw fail(`${what} truncated (read ${done} of ${length} bytes at offset ${position})`, file.path);
    done += bytesRead;
  }
  return buf;
}
