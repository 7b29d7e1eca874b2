import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TensorCoreError } from '../../errors.js';
import { syncDir, writeFileAtomic } from '../../base/atomic.js';
import { applyJournal, journalsCovering, readJournal, type Journal } from './journal.js';
import { JOURNAL_FILE, checkRelativePath, isTempName, tempPathOf } from './names.js';
import { writeSafetensorsTo, type WriteSafetensorsOptions } from '../safetensors/stream.js';
import type { TensorData } from '../safetensors/tensor_data.js';

/** What one save has staged so far; shared by a writer and its sub-folder writers. */
interface SaveState {
  root: string;
  id: string;
  staged: Map<string, string>; // final rel → temp rel
  remove: Set<string>;
  done: boolean;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * Saves a folder whole. Every file (and every file of every sub-folder, via `sub`) is first
 * written to a temporary file beside its final name and fsync'd; `commit()` then writes one
 * journal atomically at the folder's root (the commit point), renames the files into place,
 * removes the files scheduled for removal, and drops the journal. A kill at any instant leaves
 * the old version (before the journal exists) or the new one (after: `FolderReader` reads staged
 * files through the journal, and the next `FolderWriter.open` or `recoverFolder` finishes the
 * renames). Files of the folder that the save does not name are left alone.
 *
 * One writer per folder at a time; a writer is used once (commit or abort).
 */
export class FolderWriter {
  private constructor(
    /** Absolute path of this writer's folder (the root, or a sub-folder of the save). */
    readonly dir: string,
    private readonly prefix: string,
    private readonly state: SaveState,
  ) {}

  /**
   * Start a save of folder `dir` (created if missing). A save of `dir` that was interrupted after
   * its commit point is finished first; an interrupted save of a parent folder that covers `dir`
   * is an error (finish it with `recoverFolder(parent)`).
   */
  static async open(dir: string): Promise<FolderWriter> {
    const root = resolve(dir);
    try {
      await mkdir(root, { recursive: true });
    } catch (e) {
      throw new TensorCoreError('FOLDER', `cannot create the folder (${errno(e)})`, { file: root, cause: e });
    }
    if (!(await stat(root)).isDirectory()) throw new TensorCoreError('FOLDER', `is not a folder`, { file: root });
    for (const j of await journalsCovering(root)) {
      if (j.root === root) await applyJournal(j);
      else throw new TensorCoreError('FOLDER', `an interrupted save of the parent folder ${j.root} covers this folder; finish it with recoverFolder() first`, { file: root });
    }
    return new FolderWriter(root, '', { root, id: randomBytes(8).toString('hex'), staged: new Map(), remove: new Set(), done: false });
  }

  /** A writer for sub-folder `rel`, committed with this one (`plugins/comprehension`). */
  sub(rel: string): FolderWriter {
    const r = checkRelativePath(rel, 'sub-folder');
    return new FolderWriter(join(this.dir, ...r.split('/')), this.prefix + r + '/', this.state);
  }

  /** The relative paths (from the save's root) staged so far. */
  staged(): string[] {
    return [...this.state.staged.keys()];
  }

  private live(op: string): void {
    if (this.state.done) throw new TensorCoreError('FOLDER', `'${op}' on a folder save that was already committed or aborted`, { file: this.state.root });
  }

  /** Stage `name` (relative to this writer's folder) and let `write` fill its temporary file. */
  private async stage(name: string, write: (fh: FileHandle) => Promise<void>): Promise<string> {
    this.live('write');
    const rel = this.prefix + checkRelativePath(name, 'file name');
    if (this.state.staged.has(rel)) throw new TensorCoreError('FOLDER', `'${rel}' is written twice in one save`, { file: this.state.root });
    const tempRel = tempPathOf(rel, this.state.id);
    this.state.staged.set(rel, tempRel);
    this.state.remove.delete(rel);
    const final = join(this.state.root, ...rel.split('/'));
    const temp = join(this.state.root, ...tempRel.split('/'));
    let fh: FileHandle;
    try {
      if ((await lstat(final).catch(() => null))?.isDirectory()) throw new TensorCoreError('FOLDER', `a folder is in the way of file '${rel}'`, { file: final });
      await mkdir(dirname(temp), { recursive: true });
      fh = await open(temp, 'wx');
    } catch (e) {
      this.state.staged.delete(rel);
      if (e instanceof TensorCoreError) throw e;
      throw new TensorCoreError('FOLDER', `cannot write (${errno(e)})`, { file: temp, cause: e });
    }
    try {
      await write(fh);
      await fh.sync();
    } catch (e) {
      await fh.close();
      await unlink(temp).catch(() => undefined);
      this.state.staged.delete(rel);
      throw e;
    }
    await fh.close();
    return final;
  }

  /** Stage a file with these bytes or this text. */
  async file(name: string, data: string | Uint8Array): Promise<void> {
    await this.stage(name, async (fh) => void (await fh.writeFile(data)));
  }

  /** Stage a JSON file (two-space indent, final newline). */
  async json(name: string, value: unknown): Promise<void> {
    await this.file(name, JSON.stringify(value, null, 2) + '\n');
  }

  /** Stage a safetensors file, written tensor by tensor (one tensor's bytes in memory at a time). */
  async safetensors(name: string, tensors: Map<string, TensorData> | Record<string, TensorData> | Iterable<readonly [string, TensorData]>, options: WriteSafetensorsOptions = {}): Promise<void> {
    await this.stage(name, async (fh) => void (await writeSafetensorsTo(fh, tensors, options)));
  }

  /** Remove file `name` (relative to this writer's folder) at commit, if it exists then. */
  remove(name: string): void {
    this.live('remove');
    const rel = this.prefix + checkRelativePath(name, 'file name');
    if (!this.state.staged.has(rel)) this.state.remove.add(rel);
  }

  /** Make every staged file visible at once (see the class comment). Only the root writer commits. */
  async commit(): Promise<void> {
    this.live('commit');
    if (this.prefix) throw new TensorCoreError('FOLDER', `commit the save from its root writer (${this.state.root}), not from sub-folder '${this.prefix.slice(0, -1)}'`, { file: this.dir });
    const { root, id, staged } = this.state;
    const dirs = new Set([...staged.keys()].map((rel) => dirname(join(root, ...rel.split('/')))));
    for (const d of dirs) await syncDir(d);
    const journal: Journal = { version: 1, id, files: [...staged.keys()], remove: [...this.state.remove] };
    await writeFileAtomic(join(root, JOURNAL_FILE), JSON.stringify(journal)); // the commit point
    this.state.done = true;
    const found = await readJournal(root);
    if (!found || found.journal.id !== id) throw new TensorCoreError('FOLDER', `another save replaced this save's journal`, { file: join(root, JOURNAL_FILE) });
    await applyJournal(found);
    for (const d of dirs) await sweepTemporaries(d);
  }

  /** Drop every staged file; the folder keeps its old content. */
  async abort(): Promise<void> {
    if (this.state.done) return;
    this.state.done = true;
    for (const tempRel of this.state.staged.values()) await unlink(join(this.state.root, ...tempRel.split('/'))).catch(() => undefined);
  }
}

/** Remove temporaries left by killed saves in `dir` (called after a commit, when none is pending). */
async function sweepTemporaries(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (isTempName(n) || (n.startsWith(`.${JOURNAL_FILE}.`) && n.endsWith('.tmp'))) await unlink(join(dir, n)).catch(() => undefined);
}

/** Finish a save of `dir` that was interrupted after its commit point (a no-op when none is pending). */
export async function recoverFolder(dir: string): Promise<boolean> {
  const j = await readJournal(resolve(dir));
  if (!j) return false;
  await applyJournal(j);
  return true;
}
