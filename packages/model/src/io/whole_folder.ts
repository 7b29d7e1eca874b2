import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { syncDir } from '@healthgpt/tensor-core';

/**
 * Write a folder whole: `fill` writes everything into a fresh sibling folder, which then takes
 * `dir`'s place (the old folder, if any, is renamed aside and removed after). A reader never sees
 * config and weights from different saves; a crash leaves `dir` as it was, or `dir` absent with
 * the complete old and new folders beside it.
 *
 * (A local stand-in until tensor-core's shared model-folder writer lands; same contract.)
 */
export async function writeFolderWhole(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${basename(target)}.${tag}.new`);
  const old = join(parent, `.${basename(target)}.${tag}.old`);
  await mkdir(tmp);
  try {
    await fill(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const exists = await stat(target).then(
    () => true,
    () => false,
  );
  if (exists) await rename(target, old);
  await rename(tmp, target);
  await syncDir(parent);
  if (exists) await rm(old, { recursive: true, force: true });
}
