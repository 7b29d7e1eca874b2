import { lstat, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TensorCoreError } from '../../errors.js';
import { openRegularFile, type OpenedFile } from '../fs/safe_open.js';
import { MAX_JSON_BYTES, readJsonFile } from '../fs/json.js';
import { validateJson, type ConfigSchema } from '../schema.js';
import { journalView, journalsCovering, type FoundJournal } from './journal.js';
import { JOURNAL_FILE, checkRelativePath } from './names.js';

/** A file a reader opened: where it may be found and what it was, to notice a later change. */
interface Seen {
  paths: string[];
  dev: number;
  ino: number;
}

interface ReadState {
  journals: FoundJournal[];
  /** Journal files' identities when the reader opened (null: none). */
  journalIds: Map<string, string | null>;
  seen: Seen[];
}

const identity = (s: { dev: number; ino: number; mtimeMs: number; size: number }) => `${s.dev}:${s.ino}:${s.mtimeMs}:${s.size}`;

/**
 * Reads a folder as one consistent version: files are opened safely (regular files only, never
 * out of the folder, never blocking on a FIFO), and through the commit journal of a save that
 * was interrupted after its commit point (see `FolderWriter`), so a folder always reads as
 * entirely the old or entirely the new version. `unchanged()` tells whether a save committed
 * since the reader opened (then read again).
 */
export class FolderReader {
  private constructor(
    /** Absolute path of this reader's folder. */
    readonly dir: string,
    private readonly state: ReadState,
  ) {}

  /** Open folder `dir` (it must exist and be a folder). */
  static async open(dir: string): Promise<FolderReader> {
    const abs = resolve(dir);
    const st = await stat(abs).catch((e: NodeJS.ErrnoException) => {
      throw new TensorCoreError('FOLDER', e.code === 'ENOENT' ? 'folder does not exist' : `cannot read the folder (${e.code ?? e.message})`, { file: abs, cause: e });
    });
    if (!st.isDirectory()) throw new TensorCoreError('FOLDER', `is not a folder`, { file: abs });
    const journals = await journalsCovering(abs);
    const journalIds = new Map<string, string | null>();
    for (const j of journals) journalIds.set(j.root, await journalIdentity(j.root));
    journalIds.set(abs, journalIds.get(abs) ?? (await journalIdentity(abs)));
    return new FolderReader(abs, { journals, journalIds, seen: [] });
  }

  /** `source` itself, or a reader opened on folder `source`. */
  static async from(source: string | FolderReader): Promise<FolderReader> {
    return typeof source === 'string' ? FolderReader.open(source) : source;
  }

  /** A reader for sub-folder `rel`, seeing the same version as this one. */
  sub(rel: string): FolderReader {
    return new FolderReader(join(this.dir, ...checkRelativePath(rel, 'sub-folder').split('/')), this.state);
  }

  /** Absolute path of `name` inside this folder. */
  path(name: string): string {
    return join(this.dir, ...checkRelativePath(name, 'file name').split('/'));
  }

  /**
   * Open file `name` (a path relative to this folder) as the folder's current version has it.
   * Missing files throw a `FOLDER` error, or give null with `optional`.
   */
  async open(name: string, { optional = false }: { optional?: boolean } = {}): Promise<OpenedFile | null> {
    const final = this.path(name);
    let staged: string | undefined;
    for (const j of this.state.journals) {
      const v = journalView(j, final);
      if (v.removed) {
        if (optional) return null;
        throw new TensorCoreError('FOLDER', 'does not exist', { file: final });
      }
      staged ??= v.staged;
    }
    const file = (staged && (await openRegularFile(staged, { root: this.dir, optional: true }))) || (await openRegularFile(final, { root: this.dir, optional }));
    if (file) this.state.seen.push({ paths: staged ? [staged, final] : [final], dev: file.dev, ino: file.ino });
    return file;
  }

  /** True when file `name` exists in the folder's current version. */
  async has(name: string): Promise<boolean> {
    const f = await this.open(name, { optional: true });
    await f?.fh.close();
    return f !== null;
  }

  /** Parse JSON file `name` (at most `maxBytes`); undefined when absent and `optional`. */
  async readJson(name: string, { optional = false, maxBytes = MAX_JSON_BYTES }: { optional?: boolean; maxBytes?: number } = {}): Promise<unknown> {
    const file = await this.open(name, { optional });
    if (!file) return undefined;
    try {
      return await readJsonFile(file, maxBytes);
    } finally {
      await file.fh.close();
    }
  }

  /** Read JSON file `name` and check it against `schema`; errors name the file and the field. */
  async readConfig<T>(name: string, schema: ConfigSchema<T>, { what = 'config' }: { what?: string } = {}): Promise<T> {
    return validateJson(schema, await this.readJson(name), { file: this.path(name), what });
  }

  /**
   * True when nothing this reader read has changed since: no save committed in between (every
   * file is still the one that was opened, and no journal appeared or went away).
   */
  async unchanged(): Promise<boolean> {
    for (const [root, id] of this.state.journalIds) if ((await journalIdentity(root)) !== id) return false;
    for (const s of this.state.seen) {
      let found = false;
      for (const p of s.paths) {
        const st = await stat(p).catch(() => null);
        if (st && st.ino === s.ino && st.dev === s.dev) found = true;
      }
      if (!found) return false;
    }
    return true;
  }
}

async function journalIdentity(root: string): Promise<string | null> {
  const st = await lstat(join(root, JOURNAL_FILE)).catch(() => null);
  return st ? identity(st) : null;
}
