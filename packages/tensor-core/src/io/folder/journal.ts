import { lstat, rename, unlink } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
import { z } from 'zod';
import { TensorCoreError } from '../../errors.js';
import { syncDir } from '../../base/atomic.js';
import { openRegularFile } from '../fs/safe_open.js';
import { readJsonFile } from '../fs/json.js';
import { validateJson } from '../schema.js';
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

const relPath = z.string().refine((s) => {
  try {
    checkRelativePath(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a safe relative path');

const JournalSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{16}$/),
  files: z.array(relPath).max(1_000_000),
  remove: z.array(relPath).max(1_000_000),
});

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
    const journal = validateJson(JournalSchema, await readJsonFile(opened), { file, what: 'save journal' }) as Journal;
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
