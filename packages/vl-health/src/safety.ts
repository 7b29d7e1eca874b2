import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ErrorContext } from '@healthgpt/tensor-core/base';
import { DatasetError } from './errors.js';

/** Default pixel-count limit of decoded images (width × height × depth): 64 Mpx. */
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/** Default size limit of one file read whole (an image, a JSON or CSV file) and of decompressed image data: 256 MiB. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** True when `child` is strictly inside `parent` (both absolute; `..foo` is a name, not an escape). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Resolve a file reference inside a root, lexically (no file system access). Refuses absolute
 * paths, `..` escapes, NUL bytes and empty names with an `UNSAFE_PATH` DatasetError. Links are
 * checked when the file is opened (`openInside`).
 */
export function resolveInside(root: string, ref: string, where: Pick<ErrorContext, 'file' | 'record' | 'path' | 'line' | 'key'> = {}): string {
  const fail = (why: string) => new DatasetError('UNSAFE_PATH', `path "${ref}" ${why}`, where);
  if (typeof ref !== 'string' || ref.length === 0) throw fail('is empty');
  if (ref.includes('\0')) throw fail('contains a NUL byte');
  if (isAbsolute(ref) || /^[a-zA-Z]:/.test(ref) || ref.startsWith('\\')) throw fail('is absolute');
  const base = resolve(root);
  const full = resolve(base, ref);
  if (!isInside(base, full)) throw fail(`escapes the root ${base}`);
  return full;
}

/** Throw a `TOO_LARGE` DatasetError when an image of these dimensions exceeds the pixel limit. */
export function checkPixelCount(dims: readonly number[], maxPixels: number, file?: string): void {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d <= 0) throw new DatasetError('DECODE', `invalid image dimensions [${dims.join(', ')}]`, { file });
    n *= d;
  }
  if (n > maxPixels) throw new DatasetError('TOO_LARGE', `image of ${dims.join('x')} = ${n} pixels exceeds the limit of ${maxPixels}`, { file });
}
