import { resolve } from 'node:path';
import { resolveInside } from '../safety.js';

/**
 * Where an archive entry goes inside `into`: a plain relative path (no `..` escape, no absolute
 * path, no NUL), or null for an entry naming the root itself (`./`). Anything else is an
 * UNSAFE_PATH DatasetError naming the archive and the entry.
 */
export function entryTarget(into: string, name: string, file: string): string | null {
  if (name.split('/').every((seg) => seg === '.' || seg === '')) return null; // './', '.'
  const target = resolveInside(into, name, { file, key: name });
  return target === resolve(into) ? null : target;
}
