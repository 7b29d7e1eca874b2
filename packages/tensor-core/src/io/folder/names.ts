import { posix } from 'node:path';
import { TensorCoreError } from '../../errors.js';

/** HF names of a model folder's config and weights. */
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

/** The commit journal a save writes at the folder's root (see `FolderWriter`). */
export const JOURNAL_FILE = '.healthgpt-commit.json';
/** Suffix of the temporary files a save stages (`.<name>.<16 hex>.hgtmp`, beside the final file). */
export const TEMP_SUFFIX = '.hgtmp';
export const MAX_NAME_LENGTH = 200;

const TEMP_RE = /^\..+\.[0-9a-f]{16}\.hgtmp$/;

/** True for a temporary file name a save stages (any save's). */
export const isTempName = (base: string): boolean => TEMP_RE.test(base);

/** `a/b/.c.json.<id>.hgtmp`: where a save stages the final file `a/b/c.json`. */
export function tempPathOf(rel: string, id: string): string {
  const dir = posix.dirname(rel);
  const base = `.${posix.basename(rel)}.${id}${TEMP_SUFFIX}`;
  return dir === '.' ? base : `${dir}/${base}`;
}

/**
 * Check a path relative to a folder (`config.json`, `plugins/comprehension/adapter_config.json`):
 * '/'-separated segments, none empty, `.` or `..`, no backslash or NUL, not absolute, and not a
 * name the save machinery itself uses. Returns it normalised.
 */
export function checkRelativePath(rel: unknown, what = 'path'): string {
  const bad = (why: string) => new TensorCoreError('FOLDER', `${what} ${JSON.stringify(rel)} ${why}`);
  if (typeof rel !== 'string' || rel.length === 0) throw bad('must be a non-empty string');
  if (rel.includes('\0') || rel.includes('\\')) throw bad('must not contain NUL or backslash characters');
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) throw bad('must be relative to the folder');
  const segments = rel.split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') throw bad(`must not contain an empty, '.' or '..' segment`);
    if (s.length > MAX_NAME_LENGTH) throw bad(`has a segment longer than ${MAX_NAME_LENGTH} characters`);
    if (s === JOURNAL_FILE || isTempName(s)) throw bad('is a name reserved for folder saves');
  }
  return segments.join('/');
}

/**
 * A shard file name from an index: one segment (no separator, no `..`, not absolute), not hidden,
 * ending in `.safetensors`. Anything else is refused, so an index can never point outside its folder.
 */
export function checkShardName(name: unknown, file: string, key: string): string {
  const ok =
    typeof name === 'string' &&
    name.length <= MAX_NAME_LENGTH &&
    /^[^/\\\0]+\.safetensors$/.test(name) &&
    !name.startsWith('.') &&
    !/^[A-Za-z]:/.test(name);
  if (!ok)
    throw new TensorCoreError('FOLDER', `shard name ${JSON.stringify(name)} is not a plain '*.safetensors' file name inside the folder (no separators, '..', absolute or hidden names)`, {
      file,
      key,
    });
  return name;
}
