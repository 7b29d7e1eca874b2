import { lstat, rename, unlink } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
import { TensorCoreError } from '../../errors.js';
import { syncDir } from '../../base/atomic.js';
import { openRegularFile } from '../fs/safe_open.js';
import { readJsonFile } from '../fs/json.js';
import { JOURNAL_FILE, checkRelativePath, tempPathOf } from './names.js';

/**
 * A save's commit record, written atomically at the folder's root once every new file is staged.
 * From that instant the new version is the folder's content: `files` (relative paths) are read
 * from their staged temporary (`tempPathOf(path, id)`) until renamed into place, and `remove`d
 * files count as absent. Temporary names are derived from `id`, so a journal cannot point anywhere
 * else.
 */
export interface Journal {
  version: 1;
  id: string;
  files: string[];
  remove: string[];
}

/**
 * Check a parsed journal: the commit record this module writes itself (not a user config), so a
 * plain structural check; every path must be a safe relative path (`checkRelativePath`).
 */
function checkJournal(value: unknown, file: string): Journal {
  const bad = (why: string, path?: string) => new TensorCoreError('CONFIG', `save journal ${why}`, { file, path });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('must be a JSON object');
  const j = value as Record<string, unknown>;
  const extra = Object.keys(j).filter((k) => !['version', 'id', 'files', 'remove'].includes(k));
  if (extra.length) throw bad(`has unknown fields ${extra.join(', ')}`);
  if (j.version !== 1) throw bad(`'version' must be 1`, 'version');
  if (typeof j.id !== 'string' || !/^[0-9a-f]{16}$/.test(j.id)) throw bad(`'id' must be 16 hex digits`, 'id');
  for (const k of ['files', 'remove'] as const) {
    const list = j[k];
    if (!Array.isArray(list)) throw bad(`'${k}' must be a list of relative paths`, k);
    list.forEach((p, i) => {
      try {
        checkRelativePath(p);
      } catch {
        throw bad(`'${k}[${i}]' must be a safe relative path, got ${JSON.stringify(p)}`, `${k}[${i}]`);
      }
    });
  }
  return j as unknown as Journal;
}

/** A journal found at `root`, with the identity its file had (to notice a later change). */
export interface FoundJournal {
  root: string;
  journal: Journal;
  files: Set<string>;
  remove: Set<string>;
}

/** The journal at folder `root`, or null when there is none. */
export async function readJournal(root: string): Promise<FoundJournal | null> {
  const file = join(root, JOURNAL_FILE);
  const opened = await openRegularFile(file, { root, optional: true });
  if (!opened) return null;
  try {
    const journal = checkJournal(await readJsonFile(opened), file);
    return { root, journal, files: new Set(journal.files), remove: new Set(journal.remove) };
  } finally {
    await opened.fh.close();
  }
}

/**
 * Journals that may cover `dir`: its own (an error when unreadable) and those of its ancestors
 * (a save of a parent folder commits its sub-folders too; an unreadable one there is ignored).
 */
export async function journalsCovering(dir: string): Promise<FoundJournal[]> {
  const found: FoundJournal[] = [];
  let at = dir;
  for (;;) {
    try {
      const j = await readJournal(at);
      if (j && (at === dir || [...j.files, ...j.remove].some((f) => isUnder(join(at, f), dir)))) found.push(j);
    } catch (e) {
      if (at === dir) throw e;
    }
    const up = dirname(at);
    if (up === at) return found;
    at = up;
  }
}

const isUnder = (path: string, dir: string) => path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** How a journal sees file `abs`: staged (read the temporary first), removed, or not its concern. */
export function journalView(j: FoundJournal, abs: string): { staged?: string; removed?: true } {
  const rel = relative(j.root, abs).split(sep).join('/');
  if (rel.startsWith('..')) return {};
  if (j.files.has(rel)) return { staged: join(j.root, ...tempPathOf(rel, j.journal.id).split('/')) };
  if (j.remove.has(rel)) return { removed: true };
  return {};
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * Finish a committed save (roll forward): rename every staged file still waiting, remove the
 * files it removes, make it durable, then drop the journal. Idempotent: a kill at any point
 * leaves a journal that can be applied again.
 */
export async function applyJournal(found: FoundJournal): Promise<void> {
  const { root, journal } = found;
  const dirs = new Set<string>([root]);
  for (const rel of journal.files) {
    const final = join(root, ...rel.split('/'));
    try {
      await rename(join(root, ...tempPathOf(rel, journal.id).split('/')), final);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw new TensorCoreError('FOLDER', `cannot finish the save of '${rel}' (${errno(e) ?? (e as Error).message})`, { file: final, cause: e });
    }
    dirs.add(dirname(final));
  }
  for (const rel of journal.remove) {
    const path = join(root, ...rel.split('/'));
    const st = await lstat(path).catch(() => null);
    if (st && !st.isDirectory()) await unlink(path).catch((e) => {
      if (errno(e) !== 'ENOENT') throw e;
    });
    dirs.add(dirname(path));
  }
  for (const d of dirs) await syncDir(d);
  await unlink(join(root, JOURNAL_FILE)).catch((e) => {
    if (errno(e) !== 'ENOENT') throw e;
  });
  await syncDir(root);
}

/** `posix` relative path of `abs` under `root` ('' for the root itself). */
export const relativePosix = (root: string, abs: string): string => relative(root, abs).split(sep).join(posix.sep);
