import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DatasetError } from './errors.js';

/** Default pixel-count limit of decoded images (width × height × depth): 64 Mpx. */
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/**
 * Resolve an image reference inside a data root. Refuses absolute paths, `..` escapes, NUL bytes
 * and empty names with an `unsafe-path` DatasetError.
 */
export function resolveInside(root: string, ref: string, where: { file?: string; record?: number } = {}): string {
  const fail = (why: string) => new DatasetError('UNSAFE_PATH', `image path "${ref}" ${why}`, where);
  if (typeof ref !== 'string' || ref.length === 0) throw fail('is empty');
  if (ref.includes('\0')) throw fail('contains a NUL byte');
  if (isAbsolute(ref) || /^[a-zA-Z]:[\\/]/.test(ref) || ref.startsWith('\\')) throw fail('is absolute');
  const base = resolve(root);
  const full = resolve(base, ref);
  const rel = relative(base, full);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw fail(`escapes the data root ${base}`);
  return full;
}

/** Throw a `too-large` DatasetError when an image of these dimensions exceeds the pixel limit. */
export function checkPixelCount(dims: readonly number[], maxPixels: number, file?: string): void {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d <= 0) throw new DatasetError('DECODE', `invalid image dimensions [${dims.join(', ')}]`, { file });
    n *= d;
  }
  if (n > maxPixels) throw new DatasetError('TOO_LARGE', `image of ${dims.join('x')} = ${n} pixels exceeds the limit of ${maxPixels}`, { file });
}
