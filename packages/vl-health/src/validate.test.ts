import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, symlinkSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadImage } from './decode/image.js';
import { validateDataset } from './validate.js';
import { encodePng } from './decode/raster.js';
import { resolveInside } from './safety.js';
import { DatasetError } from './errors.js';
import { tempDir } from '@healthgpt/testing';

const turns = [{ from: 'human', value: '<image>\nq' }, { from: 'gpt', value: 'a' }];
const png = () => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) });

async function fixture() {
  const dir = tempDir('vlh-validate');
  mkdirSync(join(dir, 'img'));
  writeFileSync(join(dir, 'img', 'ok.png'), await png());
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

/**
 * Every kind of thing an image reference can name, and what the path rules say of it. The same
 * rules hold for `loadImage` and for `validateDataset` with or without decoding.
 */
type Kind = 'file' | 'dotted-name' | 'link-inside' | 'link-out' | 'link-to-dev-zero' | 'dir-link-out' | 'fifo' | 'folder' | 'sparse-huge' | 'link-loop' | 'missing' | 'dotdot';
const KINDS: Kind[] = ['file', 'dotted-name', 'link-inside', 'link-out', 'link-to-dev-zero', 'dir-link-out', 'fifo', 'folder', 'sparse-huge', 'link-loop', 'missing', 'dotdot'];
const EXPECTED: Record<Kind, string | null> = {
  file: null,
  'dotted-name': null,
  'link-inside': null,
  'link-out': 'UNSAFE_PATH',
  'link-to-dev-zero': 'UNSAFE_PATH',
  'dir-link-out': 'UNSAFE_PATH',
  fifo: 'UNSAFE_PATH',
  folder: 'UNSAFE_PATH',
  'sparse-huge': 'TOO_LARGE',
  'link-loop': 'UNSAFE_PATH',
  missing: 'MISSING',
  dotdot: 'UNSAFE_PATH',
};

/** Make `kind` under `root` (with a sibling folder `outside`); returns the reference to it. */
async function make(kind: Kind, root: string, outside: string, i: number): Promise<string> {
  const name = `k${i}.png`;
  const at = join(root, name);
  switch (kind) {
    case 'file':
      writeFileSync(at, await png());
      return name;
    case 'dotted-name':
      writeFileSync(join(root, `..k${i}.png`), await png()); // an ordinary name that starts with ".."
      return `..k${i}.png`;
    case 'link-inside':
      mkdirSync(join(root, `sub${i}`));
      writeFileSync(join(root, `sub${i}`, 'real.png'), await png());
      symlinkSync(`sub${i}/real.png`, at);
      return name;
    case 'link-out':
      symlinkSync('/etc/passwd', at);
      return name;
    case 'link-to-dev-zero':
      symlinkSync('/dev/zero', at);
      return name;
    case 'dir-link-out':
      writeFileSync(join(outside, 'secret.png'), await png());
      symlinkSync(outside, join(root, `d${i}`));
      return `d${i}/secret.png`;
    case 'fifo':
      execFileSync('mkfifo', [at]);
      return name;
    case 'folder':
      mkdirSync(at);
      return name;
    case 'sparse-huge': {
      const fd = openSync(at, 'w');
      ftruncateSync(fd, 1.5 * 2 ** 30); // 1.5 GB, no disk used
      closeSync(fd);
      return name;
    }
    case 'link-loop':
      symlinkSync(`l${i}b.png`, join(root, `l${i}a.png`));
      symlinkSync(`l${i}a.png`, join(root, `l${i}b.png`));
      return `l${i}a.png`;
    case 'missing':
      return name;
    case 'dotdot':
      return `../k${i}.png`;
  }
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

  it('keeps going past bad and over-long JSONL lines, naming each line', async () => {
    const { dir, recs } = await fixture();
    writeFileSync(join(dir, 'data.jsonl'), ['\uFEFF' + JSON.stringify(recs[0]), '{not json', '', JSON.stringify(recs[3]), `{"id": "${'x'.repeat(5000)}"}`, JSON.stringify(recs[4])].join('\n'));
    const r = await validateDataset(dir, 'data.jsonl', { maxLineLength: 1000 });
    expect(r.problems.map((p) => [p.record, p.line, p.code])).toEqual([[1, 2, 'PARSE'], [3, 4, 'MISSING'], [4, 5, 'TOO_LARGE'], [5, 6, 'DECODE']]);
  });

  it('the data file itself follows the path rules: a FIFO, a link out or an escape is a problem, never a hang', async () => {
    const dir = tempDir('vlh-validate-file');
    execFileSync('mkfifo', [join(dir, 'pipe.jsonl')]);
    symlinkSync('/etc/passwd', join(dir, 'out.json'));
    for (const [file, code] of [['pipe.jsonl', 'UNSAFE_PATH'], ['out.json', 'UNSAFE_PATH'], ['../x.json', 'UNSAFE_PATH'], ['none.json', 'MISSING']] as const) {
      const r = await validateDataset(dir, file);
      expect(r.ok, file).toBe(false);
      expect(r.problems.map((p) => p.code), file).toEqual([code]);
    }
  });

  it('property: every kind of image reference gets the same verdict from loadImage and from validateDataset, decoding or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...KINDS), { minLength: 1, maxLength: KINDS.length }), fc.boolean(), async (kinds, decode) => {
        const base = tempDir('vlh-kinds');
        const root = join(base, 'root');
        const outside = join(base, 'outside');
        mkdirSync(root);
        mkdirSync(outside);
        const refs = await Promise.all(kinds.map((k, i) => make(k, root, outside, i)));
        const recs = refs.map((ref, i) => ({ id: `r${i}`, task: 'comprehension', subtask: 'vqa', image: ref, conversations: turns }));
        writeFileSync(join(root, 'data.json'), JSON.stringify(recs));
        const r = await validateDataset(root, 'data.json', { decode });
        const byRecord = kinds.map((_, i) => r.problems.find((p) => p.record === i)?.code ?? null);
        expect(byRecord).toEqual(kinds.map((k) => EXPECTED[k]));
        for (const [i, k] of kinds.entries()) {
          const got = await loadImage(root, refs[i], { record: i }).then(
            () => null,
            (e: DatasetError) => (expect(e).toBeInstanceOf(DatasetError), expect(e.record).toBe(i), e.code),
          );
          expect(got, k).toBe(EXPECTED[k]);
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe('resolveInside', () => {
  it('refuses absolute paths, escapes and NUL bytes; accepts nested relative paths and names that start with ".."', () => {
    expect(resolveInside('/data', 'a/b.png')).toBe('/data/a/b.png');
    expect(resolveInside('/data', 'a/../b.png')).toBe('/data/b.png');
    expect(resolveInside('/data', '..foo.jpg')).toBe('/data/..foo.jpg');
    expect(resolveInside('/data', 'a/..b/c.png')).toBe('/data/a/..b/c.png');
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', 'x\0y', '', 'C:\\win', '..', '.']) expect(() => resolveInside('/data', bad), bad).toThrow(DatasetError);
  });
});
