import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadImage } from './decode/image.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateDataset } from './validate.js';
import { encodePng } from './decode/raster.js';
import { resolveInside } from './safety.js';
import { DatasetError } from './errors.js';

const turns = [{ from: 'human', value: '<image>\nq' }, { from: 'gpt', value: 'a' }];

async function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'vlh-validate-'));
  mkdirSync(join(dir, 'img'));
  writeFileSync(join(dir, 'img', 'ok.png'), await encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) }));
  writeFileSync(join(dir, 'img', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
  const recs = [
    { id: 'a', task: 'comprehension', subtask: 'vqa', image: 'img/ok.png', conversations: turns },
    { id: 'a', task: 'comprehension', subtask: 'vqa', image: 'img/ok.png', conversations: turns },
    { id: 'b', task: 'comprehension', subtask: 'vqa', image: '../outside.png', conversations: turns },
    { id: 'c', task: 'comprehension', subtask: 'vqa', image: 'img/missing.png', conversations: turns },
    { id: 'd', task: 'comprehension', subtask: 'vqa', image: 'img/broken.png', conversations: turns },
    { id: 'e', task: 'generation', subtask: 'denoising', image: 'img/ok.png', conversations: [turns[0], { from: 'doctor', value: 'x' }] },
  ];
  return { dir, recs };
}

describe('validateDataset', () => {
  it('reports every problem of a JSON set with record index and path', async () => {
    const { dir, recs } = await fixture();
    writeFileSync(join(dir, 'data.json'), JSON.stringify(recs));
    const r = await validateDataset(dir, 'data.json');
    expect(r.ok).toBe(false);
    expect(r.records).toBe(6);
    const got = r.problems.map((p) => [p.record, p.code, p.path]);
    expect(got).toEqual([
      [1, 'DUPLICATE_ID', 'id'],
      [2, 'UNSAFE_PATH', 'image'],
      [3, 'MISSING', 'image'],
      [4, 'DECODE', 'image'],
      [5, 'SCHEMA', 'conversations[1].from'],
      [5, 'SCHEMA', 'target_image'],
    ]);
  });

  it('keeps going past bad JSONL lines', async () => {
    const { dir, recs } = await fixture();
    writeFileSync(join(dir, 'data.jsonl'), [JSON.stringify(recs[0]), '{not json', '', JSON.stringify(recs[3])].join('\n'));
    const r = await validateDataset(dir, 'data.jsonl');
    expect(r.problems.map((p) => [p.record, p.code])).toEqual([[1, 'PARSE'], [3, 'MISSING']]);
  });
});

describe('loadImage safety', () => {
  it('refuses a symbolic link that leads outside the root', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'vlh-outside-'));
    writeFileSync(join(outside, 'secret.png'), await encodePng({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }));
    const root = mkdtempSync(join(tmpdir(), 'vlh-root-'));
    symlinkSync(join(outside, 'secret.png'), join(root, 'link.png'));
    await expect(loadImage(root, 'link.png', { record: 3 })).rejects.toMatchObject({ code: 'UNSAFE_PATH', record: 3 });
    await expect(loadImage(root, 'nope.png')).rejects.toMatchObject({ code: 'MISSING', file: 'nope.png' });
  });
});

describe('resolveInside', () => {
  it('refuses absolute paths, escapes and NUL bytes; accepts nested relative paths', () => {
    expect(resolveInside('/data', 'a/b.png')).toBe('/data/a/b.png');
    expect(resolveInside('/data', 'a/../b.png')).toBe('/data/b.png');
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', 'x\0y', '', 'C:\\win', '..']) expect(() => resolveInside('/data', bad), bad).toThrow(DatasetError);
  });
});
