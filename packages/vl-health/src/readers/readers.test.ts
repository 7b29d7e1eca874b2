import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readJsonl, streamJsonl } from './jsonl.js';
import { parseLlavaJson, readLlavaJson } from './llava.js';
import { readImageFolder } from './folder.js';
import { parseCsv } from './csv.js';
import { DatasetError } from '../errors.js';

const rec = (i: number) => ({ id: `s${i}`, image: `img/${i % 7}.png`, conversations: [{ from: 'human', value: `<image>\nq${i} é✓` }, { from: 'gpt', value: `a${i}` }] });
const defaults = { task: 'comprehension' as const, subtask: 'vqa' };

describe('JSONL streaming', () => {
  it('streams a generated source of 50,000 lines lazily, holding only the current line', async () => {
    const N = 50_000;
    let produced = 0;
    let maxAhead = 0;
    let consumed = 0;
    function* lines() {
      for (let i = 0; i < N; i++) {
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield JSON.stringify(rec(i)) + '\n';
      }
    }
    let last = '';
    let inOrder = true;
    for await (const { line, sample } of streamJsonl(Readable.from(lines(), { objectMode: true, highWaterMark: 4 }), { defaults })) {
      consumed++;
      last = sample.id;
      if (line !== consumed - 1) inOrder = false;
    }
    expect(consumed).toBe(N);
    expect(last).toBe(`s${N - 1}`);
    expect(inOrder).toBe(true);
    // pull-based: the source never runs more than a small buffer ahead of the consumer
    expect(maxAhead).toBeLessThan(64);
  });

  it('property: arbitrary chunking (even inside multi-byte characters) gives the same samples', async () => {
    const bytes = Buffer.from([0, 1, 2, 3, 4].map((i) => JSON.stringify(rec(i))).join('\r\n') + '\n\n');
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const pts = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = pts.slice(1).map((p, i) => bytes.subarray(pts[i], p));
        const got: string[] = [];
        for await (const { sample } of streamJsonl(chunks, { defaults })) got.push(sample.conversations[0].value);
        expect(got).toEqual([0, 1, 2, 3, 4].map((i) => `<image>\nq${i} é✓`));
      }),
      { numRuns: 25 },
    );
  });

  it('readJsonl streams a file from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-jsonl-'));
    writeFileSync(join(dir, 'd.jsonl'), [0, 1, 2].map((i) => JSON.stringify(rec(i))).join('\n') + '\n');
    const ids: string[] = [];
    for await (const { sample } of readJsonl(join(dir, 'd.jsonl'), { defaults })) ids.push(sample.id);
    expect(ids).toEqual(['s0', 's1', 's2']);
    await expect((async () => { for await (const _ of readJsonl(join(dir, 'none.jsonl'))); })()).rejects.toMatchObject({ code: 'MISSING' });
  });

  it('names the line of a bad record and refuses overlong lines', async () => {
    const src = [JSON.stringify(rec(0)), '{"id": "x", "conversations": [{"from": "gpt"}]}', ''].join('\n');
    const it = streamJsonl([src], { defaults, file: 'data.jsonl' });
    await expect((async () => { for await (const _ of it); })()).rejects.toMatchObject({ code: 'SCHEMA', file: 'data.jsonl', record: 1 });
    const long = streamJsonl(['{"a": "' + 'x'.repeat(2000)], { maxLineLength: 1000 });
    await expect((async () => { for await (const _ of long); })()).rejects.toMatchObject({ code: 'TOO_LARGE' });
    const bad = streamJsonl([JSON.stringify(rec(0)) + '\n{oops\n'], { defaults });
    await expect((async () => { for await (const _ of bad); })()).rejects.toMatchObject({ code: 'PARSE', record: 1 });
  });
});

describe('LLaVA JSON', () => {
  it('reads a LLaVA file with defaults for task and subtask', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-llava-'));
    writeFileSync(join(dir, 'train.json'), JSON.stringify([rec(0), { ...rec(1), image: ['a.png', 'b.png'] }]));
    const s = await readLlavaJson(join(dir, 'train.json'), { defaults });
    expect(s.map((x) => x.images)).toEqual([['img/0.png'], ['a.png', 'b.png']]);
    await expect(readLlavaJson(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'MISSING' });
  });

  it('typed errors for syntax, non-arrays and schema problems (with record index)', () => {
    expect(() => parseLlavaJson('[1,', { file: 'x.json' })).toThrow(DatasetError);
    expect(() => parseLlavaJson('{}')).toThrow(/array/);
    expect(() => parseLlavaJson(JSON.stringify([rec(0), { ...rec(1), conversations: [] }]), { defaults })).toThrow(/record 1/);
  });
});

describe('image folder + CSV', () => {
  it('reads questions, captions and reports; keeps extra columns; lists unreferenced images', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-folder-'));
    mkdirSync(join(dir, 'img'));
    for (const f of ['a.png', 'b.jpg', 'c.png']) writeFileSync(join(dir, 'img', f), 'x');
    writeFileSync(join(dir, 'labels.csv'), 'image,question,answer,caption,site\r\nimg/a.png,"Is it, really?",yes,,"A ""quoted"" site"\nimg/b.jpg,,,A chest film.,B\n');
    const r = await readImageFolder(dir);
    expect(r.samples.map((s) => s.subtask)).toEqual(['vqa', 'caption']);
    expect(r.samples[0].conversations[0].value).toBe('<image>\nIs it, really?');
    expect(r.samples[0].metadata.site).toBe('A "quoted" site');
    expect(r.unlistedImages).toEqual(['img/c.png']);
  });

  it('refuses image paths that escape the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-folder-'));
    writeFileSync(join(dir, 'labels.csv'), 'image,caption\n../../etc/passwd,x\n');
    await expect(readImageFolder(dir)).rejects.toMatchObject({ code: 'UNSAFE_PATH', record: 1 });
    writeFileSync(join(dir, 'labels.csv'), 'image,caption\n/etc/passwd,x\n');
    await expect(readImageFolder(dir)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });

  it('parses CSV edge cases and rejects unterminated quotes', () => {
    expect(parseCsv('a,b\n"x\ny",2\n')).toEqual([['a', 'b'], ['x\ny', '2']]);
    expect(() => parseCsv('a\n"open')).toThrow(DatasetError);
  });
});
