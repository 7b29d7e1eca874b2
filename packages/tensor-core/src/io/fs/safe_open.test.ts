import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { TensorCoreError } from '@healthgpt/tensor-core';
import { openRegularFile, readExactly } from './safe_open.js';
import { tempDir } from '@healthgpt/testing';

let root: string;
let outside: string;
beforeEach(() => {
  root = tempDir('safe-open');
  outside = tempDir('safe-open-out');
});

const refused = async (path: string, re: RegExp) => {
  const err = await openRegularFile(path, { root }).then(
    (f) => f?.fh.close(),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TensorCoreError);
  expect((err as TensorCoreError).code).toBe('FOLDER');
  expect((err as TensorCoreError).file).toBe(path);
  expect((err as Error).message).toMatch(re);
};

describe('openRegularFile', () => {
  it('opens a regular file, and a link that stays inside the folder', async () => {
    writeFileSync(join(root, 'a.bin'), 'abc');
    mkdirSync(join(root, 'sub'));
    symlinkSync('../a.bin', join(root, 'sub', 'link.bin'));
    for (const p of [join(root, 'a.bin'), join(root, 'sub', 'link.bin')]) {
      const f = (await openRegularFile(p, { root }))!;
      expect(f.size).toBe(3);
      expect(new TextDecoder().decode(await readExactly(f, 3, 0))).toBe('abc');
      await f.fh.close();
    }
  });

  it('refuses links out of the folder (relative and absolute), FIFOs, devices and folders, before opening them', async () => {
    writeFileSync(join(outside, 'secret'), 'x');
    symlinkSync(join(outside, 'secret'), join(root, 'abs.bin'));
    symlinkSync(`../${outside.split('/').pop()}/secret`, join(root, 'rel.bin'));
    await refused(join(root, 'abs.bin'), /symbolic link to .*secret, outside the folder/);
    await refused(join(root, 'rel.bin'), /outside the folder/);
    execFileSync('mkfifo', [join(root, 'fifo')]);
    await refused(join(root, 'fifo'), /is a FIFO; only regular files are read/);
    symlinkSync('fifo', join(root, 'to-fifo'));
    await refused(join(root, 'to-fifo'), /is a FIFO/);
    await refused('/dev/null', /is a device/);
    mkdirSync(join(root, 'd'));
    await refused(join(root, 'd'), /is a folder/);
    symlinkSync('nowhere', join(root, 'dangling'));
    await refused(join(root, 'dangling'), /symbolic link that cannot be followed/);
  });

  it('missing: an error naming the file, or null when optional', async () => {
    await refused(join(root, 'none'), /does not exist/);
    expect(await openRegularFile(join(root, 'none'), { root, optional: true })).toBeNull();
  });

  it('a short read is an error naming the file', async () => {
    writeFileSync(join(root, 'a.bin'), 'abc');
    const f = (await openRegularFile(join(root, 'a.bin')))!;
    await expect(readExactly(f, 10, 0, 'header')).rejects.toThrow(/header truncated \(read 3 of 10 bytes/);
    await f.fh.close();
  });
});
