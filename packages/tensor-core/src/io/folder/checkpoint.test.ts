import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { tf, saveSafetensors, FolderReader, readCheckpoint, TensorCoreError } from '@healthgpt/tensor-core';
import { readCheckpointFile } from '@healthgpt/tensor-core/internal';
import { tempDir } from '@healthgpt/testing';

let dir: string;
let outside: string;
beforeEach(() => {
  dir = tempDir('ckpt');
  outside = tempDir('ckpt-out');
});

const index = (weightMap: Record<string, unknown>) => writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
const open = async () => readCheckpoint(await FolderReader.open(dir));
const refused = async (re: RegExp) => {
  const err = await open().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TensorCoreError);
  expect((err as Error).message).toMatch(re);
};

async function twoShards(): Promise<void> {
  const a = tf.ones([2, 3]);
  const b = tf.zeros([4]);
  await saveSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { a });
  await saveSafetensors(join(dir, 'model-00002-of-00002.safetensors'), { b });
  tf.dispose([a, b]);
  index({ a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' });
}

describe('readCheckpoint', () => {
  it('reads a single file or the shards of an index, headers only, then the bytes on demand', async () => {
    await twoShards();
    const ckpt = await open();
    expect(ckpt.shards.map((s) => s.name)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect([...ckpt.tensors].map(([k, t]) => [k, t.info.shape, t.shard.name])).toEqual([
      ['a', [2, 3], 'model-00001-of-00002.safetensors'],
      ['b', [4], 'model-00002-of-00002.safetensors'],
    ]);
    expect(ckpt.numel()).toBe(10);
    const seen: [string, number][] = [];
    await ckpt.read(['b', 'a'], (t, bytes) => void seen.push([t.key, bytes.length]));
    expect(seen).toEqual([
      ['a', 24],
      ['b', 16],
    ]);
    await expect(ckpt.read(['zzz'], () => undefined)).rejects.toThrow(/no tensor 'zzz'/);
  });

  it('refuses shard names that leave the folder, and non-string index values', async () => {
    await twoShards();
    writeFileSync(join(outside, 'x.safetensors'), 'x');
    for (const bad of ['../x.safetensors', join(outside, 'x.safetensors'), 'sub/x.safetensors', '..\\x.safetensors']) {
      index({ a: bad });
      await refused(/is not a plain '\*\.safetensors' file name/);
    }
    index({ a: 3 });
    await refused(/'weight_map\.a' must be a string, got 3/);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: null }));
    await refused(/'weight_map' must be an object, got null/);
    writeFileSync(join(dir, 'model.safetensors.index.json'), 'null');
    await refused(/shard index must be a JSON object, got null/);
  });

  it('refuses shards that are links out of the folder, FIFOs or folders, without blocking', async () => {
    await twoShards();
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    const b = tf.zeros([4]);
    await saveSafetensors(join(outside, 'b.safetensors'), { b });
    b.dispose();
    symlinkSync(join(outside, 'b.safetensors'), join(dir, 'model-00002-of-00002.safetensors'));
    await refused(/symbolic link to .*, outside the folder/);
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    execFileSync('mkfifo', [join(dir, 'model-00002-of-00002.safetensors')]);
    await refused(/is a FIFO; only regular files are read/);
  });

  it('checks the index against the shards, and refuses ambiguous or missing weights', async () => {
    await twoShards();
    index({ a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors' });
    await refused(/holds tensor 'b' that model\.safetensors\.index\.json maps to model-00001-of-00002\.safetensors|maps 1 tensor/);
    index({ a: 'model-00002-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' });
    await refused(/maps 1 tensor\(s\) to shards that do not hold them: 'a' → model-00002-of-00002\.safetensors/);
    index({ a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' });
    await refused(/maps 1 tensor\(s\) to shards that do not hold them: 'c'/);
    index({});
    await refused(/lists no tensors/);
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    await refused(/both model\.safetensors and model\.safetensors\.index\.json/);
    rmSync(join(dir, 'model.safetensors'));
    rmSync(join(dir, 'model.safetensors.index.json'));
    await refused(/neither model\.safetensors nor model\.safetensors\.index\.json/);
  });

  it('reads data only from the files whose headers it read', async () => {
    const t = tf.ones([3]);
    await saveSafetensors(join(dir, 'model.safetensors'), { t });
    const ckpt = await open();
    await saveSafetensors(join(dir, 'model.safetensors'), { t }); // replaced by another file
    await expect(ckpt.read(['t'], () => undefined)).rejects.toThrow(/changed since its header was read/);
    const file = await readCheckpointFile(join(dir, 'model.safetensors'));
    expect(file.shards[0].header.tensors.get('t')!.shape).toEqual([3]);
    t.dispose();
  });
});
