import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderReader, FolderWriter, recoverFolder, TensorCoreError } from '@healthgpt/tensor-core';
import { JOURNAL_FILE } from '@healthgpt/tensor-core/internal';
import { tempPathOf } from './names.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'folder-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every file below `root`, relative, sorted. */
function listAll(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listAll(root, `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

const readText = async (r: FolderReader, name: string) => JSON.stringify(await r.readJson(name, { optional: true }));

async function saveVersion(v: number, target = dir): Promise<void> {
  const w = await FolderWriter.open(target);
  await w.json('config.json', { v });
  await w.file('weights.bin', new Uint8Array([v]));
  await w.sub('vq').json('config.json', { v });
  await w.commit();
}

describe('FolderWriter', () => {
  it('makes every file visible at commit, sub-folders included, and leaves no temporary or journal', async () => {
    await saveVersion(1);
    writeFileSync(join(dir, 'README.md'), 'mine');
    const w = await FolderWriter.open(dir);
    await w.json('config.json', { v: 2 });
    await w.sub('vq').json('config.json', { v: 2 });
    await w.sub('plugins/comprehension').file('adapter_config.json', '{"r": 2}');
    expect(w.staged()).toEqual(['config.json', 'vq/config.json', 'plugins/comprehension/adapter_config.json']);
    // Staged but not committed: readers see the old version only.
    const before = await FolderReader.open(dir);
    expect([await readText(before, 'config.json'), await readText(before.sub('vq'), 'config.json'), await before.sub('plugins/comprehension').has('adapter_config.json')]).toEqual([
      '{"v":1}',
      '{"v":1}',
      false,
    ]);
    await w.commit();
    expect(listAll(dir)).toEqual(['README.md', 'config.json', 'plugins/comprehension/adapter_config.json', 'vq/config.json', 'weights.bin']);
    const after = await FolderReader.open(dir);
    expect([await readText(after, 'config.json'), await readText(after.sub('vq'), 'config.json')]).toEqual(['{"v":2}', '{"v":2}']);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('mine'); // files the save does not name are left alone
    expect(await before.unchanged()).toBe(false);
    expect(await after.unchanged()).toBe(true);
  });

  it('removes scheduled files at commit, and abort keeps the old version', async () => {
    await saveVersion(1);
    const w = await FolderWriter.open(dir);
    await w.json('config.json', { v: 2 });
    w.remove('weights.bin');
    w.sub('vq').remove('config.json');
    await w.abort();
    expect(listAll(dir)).toEqual(['config.json', 'vq/config.json', 'weights.bin']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ v: 1 });
    const w2 = await FolderWriter.open(dir);
    w2.remove('weights.bin');
    w2.remove('never-existed.txt');
    await w2.commit();
    expect(listAll(dir)).toEqual(['config.json', 'vq/config.json']);
  });

  it('refuses misuse with typed errors', async () => {
    const w = await FolderWriter.open(dir);
    await w.json('a.json', 1);
    await expect(w.json('a.json', 2)).rejects.toThrow(/'a\.json' is written twice/);
    await expect(w.file('../escape.txt', 'x')).rejects.toThrow(TensorCoreError);
    await expect(w.file(JOURNAL_FILE, 'x')).rejects.toThrow(/reserved/);
    expect(() => w.sub('/abs')).toThrow(TensorCoreError);
    mkdirSync(join(dir, 'taken'));
    await expect(w.file('taken', 'x')).rejects.toThrow(/a folder is in the way/);
    await expect(w.sub('vq').commit()).rejects.toThrow(/commit the save from its root writer/);
    await w.commit();
    await expect(w.json('b.json', 1)).rejects.toThrow(/already committed or aborted/);
    writeFileSync(join(dir, 'file'), 'x');
    await expect(FolderWriter.open(join(dir, 'file'))).rejects.toThrow(TensorCoreError);
  });
});

describe('interrupted saves', () => {
  const ID = '00112233aabbccdd';
  /** The state a save killed right after its commit point leaves: staged temporaries and the journal. */
  function killedAfterCommit(root: string, files: Record<string, string>, remove: string[] = []): void {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, tempPathOf(rel, ID)), text);
    }
    writeFileSync(join(root, JOURNAL_FILE), JSON.stringify({ version: 1, id: ID, files: Object.keys(files), remove }));
  }

  it('before the commit point: the old version, and the next save sweeps the temporaries', async () => {
    await saveVersion(1);
    writeFileSync(join(dir, tempPathOf('config.json', ID)), '{"v": 2}');
    expect(await readText(await FolderReader.open(dir), 'config.json')).toBe('{"v":1}');
    await saveVersion(3);
    expect(listAll(dir)).toEqual(['config.json', 'vq/config.json', 'weights.bin']);
  });

  it('after the commit point: readers see the new version; the next writer (or recoverFolder) finishes it', async () => {
    await saveVersion(1);
    killedAfterCommit(dir, { 'config.json': '{"v": 2}', 'vq/config.json': '{"v": 2}' }, ['weights.bin']);
    const r = await FolderReader.open(dir);
    expect([await readText(r, 'config.json'), await readText(r.sub('vq'), 'config.json'), await r.has('weights.bin')]).toEqual(['{"v":2}', '{"v":2}', false]);
    await expect(r.open('weights.bin')).rejects.toThrow(/does not exist/);
    // Partly renamed (killed while finishing): still the new version.
    rmSync(join(dir, 'config.json'));
    writeFileSync(join(dir, 'config.json'), readFileSync(join(dir, tempPathOf('config.json', ID))));
    rmSync(join(dir, tempPathOf('config.json', ID)));
    expect(await readText(await FolderReader.open(dir), 'config.json')).toBe('{"v":2}');
    expect(await recoverFolder(dir)).toBe(true);
    expect(listAll(dir)).toEqual(['config.json', 'vq/config.json']);
    expect(await recoverFolder(dir)).toBe(false);
    killedAfterCommit(dir, { 'config.json': '{"v": 4}' });
    const w = await FolderWriter.open(dir); // finishes the pending save first
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ v: 4 });
    await w.abort();
  });

  it("a parent folder's pending save covers its sub-folders", async () => {
    await saveVersion(1);
    killedAfterCommit(dir, { 'vq/config.json': '{"v": 2}' });
    expect(await readText(await FolderReader.open(join(dir, 'vq')), 'config.json')).toBe('{"v":2}');
    await expect(FolderWriter.open(join(dir, 'vq'))).rejects.toThrow(/interrupted save of the parent folder/);
    await recoverFolder(dir);
    await saveVersion(5, join(dir, 'vq'));
    expect(JSON.parse(readFileSync(join(dir, 'vq', 'config.json'), 'utf8'))).toEqual({ v: 5 });
  });

  it('a tampered journal is a typed error, never a path outside the folder', async () => {
    await saveVersion(1);
    writeFileSync(join(dir, JOURNAL_FILE), JSON.stringify({ version: 1, id: ID, files: ['../outside.json'], remove: [] }));
    await expect(FolderReader.open(dir)).rejects.toThrow(/save journal|must be a safe relative path/);
    await expect(FolderWriter.open(dir)).rejects.toThrow(TensorCoreError);
    writeFileSync(join(dir, JOURNAL_FILE), '{"version": 1, "id": "../../x", "files": [], "remove": []}');
    await expect(FolderReader.open(dir)).rejects.toThrow(TensorCoreError);
    expect(existsSync(join(dir, '..', 'outside.json'))).toBe(false);
  });
});
