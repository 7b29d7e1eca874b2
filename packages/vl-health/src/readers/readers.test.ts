import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readJsonl, streamJsonl } from './jsonl.js';
import { splitLines } from './lines.js';
import { parseLlavaJson, readLlavaJson } from './llava.js';
import { readImageFolder } from './folder.js';
import { DatasetError } from '../errors.js';
import { tempDir } from '@healthgpt/testing';

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
    const dir = tempDir('vlh-jsonl');
    writeFileSync(join(dir, 'd.jsonl'), [0, 1, 2].map((i) => JSON.stringify(rec(i))).join('\n') + '\n');
    const ids: string[] = [];
    for await (const { sample } of readJsonl(join(dir, 'd.jsonl'), { defaults })) ids.push(sample.id);
    expect(ids).toEqual(['s0', 's1', 's2']);
    await expect((async () => { for await (const _ of readJsonl(join(dir, 'none.jsonl'))); })()).rejects.toMatchObject({ code: 'MISSING' });
  });

  it('names the line of a bad record and refuses overlong lines', async () => {
    const src = [JSON.stringify(rec(0)), '{"id": "x", "conversations": [{"from": "gpt"}]}', ''].join('\n');
    const it = streamJsonl([src], { defaults, file: 'data.jsonl' });
    await expect((async () => { for await (const _ of it); })()).rejects.toMatchObject({ code: 'SCHEMA', file: 'data.jsonl', record: 1, line: 2 });
    const long = streamJsonl(['{"a": "' + 'x'.repeat(2000)], { maxLineLength: 1000 });
    await expect((async () => { for await (const _ of long); })()).rejects.toMatchObject({ code: 'TOO_LARGE' });
    const bad = streamJsonl([JSON.stringify(rec(0)) + '\n{oops\n'], { defaults });
    await expect((async () => { for await (const _ of bad); })()).rejects.toMatchObject({ code: 'PARSE', record: 1 });
  });
});

describe('LLaVA JSON', () => {
  it('reads a LLaVA file with defaults for task and subtask', async () => {
    const dir = tempDir('vlh-llava');
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
    const dir = tempDir('vlh-folder');
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
    const dir = tempDir('vlh-folder');
    writeFileSync(join(dir, 'labels.csv'), 'image,caption\n../../etc/passwd,x\n');
    await expect(readImageFolder(dir)).rejects.toMatchObject({ code: 'UNSAFE_PATH', record: 1 });
    writeFileSync(join(dir, 'labels.csv'), 'image,caption\n/etc/passwd,x\n');
    await expect(readImageFolder(dir)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });

  it('CSV through csv-parse: BOM, quoted newlines and commas, CRLF; ragged rows and open quotes name the line', async () => {
    const dir = tempDir('vlh-folder');
    writeFileSync(join(dir, 'a.png'), 'x');
    writeFileSync(join(dir, 'labels.csv'), '\uFEFFimage,caption\r\na.png,"two\nlines, one comma"\r\n');
    const r = await readImageFolder(dir);
    expect(r.samples[0].conversations[1].value).toBe('two\nlines, one comma');
    writeFileSync(join(dir, 'labels.csv'), 'image,caption\na.png,x\na.png,y,extra\n');
    await expect(readImageFolder(dir)).rejects.toMatchObject({ code: 'PARSE', line: 3 });
    writeFileSync(join(dir, 'labels.csv'), 'image,caption\na.png,"open\n');
    await expect(readImageFolder(dir)).rejects.toMatchObject({ code: 'PARSE' });
    writeFileSync(join(dir, 'labels.csv'), 'picture,caption\na.png,x\n');
    await expect(readImageFolder(dir)).rejects.toMatchObject({ code: 'SCHEMA', line: 1 });
  });
});

describe('line splitting (linear time, bounded memory)', () => {
  const reference = (text: string) => {
    const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const parts = t.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (t.endsWith('\n') || t === '') parts.pop();
    return parts;
  };

  it('property: any text in any chunking splits like String.split (LF or CRLF, BOM dropped)', async () => {
    const text = fc.array(fc.constantFrom('\uFEFF', 'a', 'b', '\r', '\n', 'é', '✓', '😀'), { maxLength: 60 }).map((cs) => cs.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat({ max: 200 }), { maxLength: 8 }), fc.boolean(), async (t, cuts, asBytes) => {
        const src = asBytes ? Buffer.from(t) : t;
        const pts = [...new Set([0, ...cuts.map((c) => c % (src.length + 1)), src.length])].sort((a, b) => a - b);
        const chunks = pts.slice(1).map((p, i) => src.slice(pts[i], p));
        const got: string[] = [];
        for await (const l of splitLines(chunks)) {
          while (got.length < l.line) got.push('');
          got.push(l.text!);
        }
        const want = reference(t);
        while (got.length < want.length) got.push(''); // trailing blank lines have no content to yield
        expect(got).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('a line past the limit stops the read there: nothing past the limit is buffered or pulled', async () => {
    let pulled = 0;
    function* endless() {
      for (;;) {
        pulled++;
        yield 'x'.repeat(64 * 1024);
      }
    }
    const it = splitLines(endless(), { maxLineLength: 1024 * 1024, file: 'big.jsonl' });
    await expect(it.next()).rejects.toMatchObject({ code: 'TOO_LARGE', file: 'big.jsonl', line: 1 });
    expect(pulled).toBe(17); // 16 chunks fit, the 17th crosses 1 MiB
    // skip mode reports the long line and goes on with the next
    const lines = [];
    for await (const l of splitLines(['ab', 'c'.repeat(50), '\nok\n'], { maxLineLength: 10, tooLong: 'skip' })) lines.push(l);
    expect(lines).toEqual([{ line: 0, text: null }, { line: 1, text: 'ok' }]);
  });

  it('a 64 MiB line without a newline is refused at the default 16 Mi limit', async () => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let pulled = 0;
    const src = (function* () {
      for (let i = 0; i < 64; i++, pulled++) yield chunk;
    })();
    await expect((async () => { for await (const _ of streamJsonl(src)); })()).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(pulled).toBeLessThanOrEqual(17);
  });
});

describe('ids, byte-order marks and file kinds', () => {
  it('property: a repeated id is a DUPLICATE_ID error at its second record, in JSON and JSONL', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 8 }), async (ids) => {
        const recs = ids.map((id, i) => ({ ...rec(i), id }));
        const firstRepeat = ids.findIndex((id, i) => ids.indexOf(id) !== i);
        const json = () => parseLlavaJson(JSON.stringify(recs), { defaults, file: 'd.json' });
        const jsonl = async () => {
          for await (const _ of streamJsonl([recs.map((r) => JSON.stringify(r)).join('\n')], { defaults, file: 'd.jsonl' }));
        };
        if (firstRepeat < 0) {
          expect(json()).toHaveLength(ids.length);
          await jsonl();
        } else {
          expect(json).toThrow(expect.objectContaining({ code: 'DUPLICATE_ID', record: firstRepeat, path: 'id' }));
          await expect(jsonl()).rejects.toMatchObject({ code: 'DUPLICATE_ID', record: firstRepeat, line: firstRepeat + 1 });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('files starting with a byte-order mark read like any other', async () => {
    const dir = tempDir('vlh-bom');
    writeFileSync(join(dir, 'a.json'), '\uFEFF' + JSON.stringify([rec(0)]));
    writeFileSync(join(dir, 'a.jsonl'), '\uFEFF' + JSON.stringify(rec(0)) + '\n' + JSON.stringify(rec(1)) + '\n');
    expect((await readLlavaJson(join(dir, 'a.json'), { defaults })).map((s) => s.id)).toEqual(['s0']);
    const ids: string[] = [];
    for await (const { sample } of readJsonl(join(dir, 'a.jsonl'), { defaults })) ids.push(sample.id);
    expect(ids).toEqual(['s0', 's1']);
  });

  it('FIFOs, devices and folders are refused before reading (no hang); JSON files past maxBytes are TOO_LARGE', async () => {
    const dir = tempDir('vlh-kinds');
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    await expect(readLlavaJson(join(dir, 'fifo.json'))).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    await expect((async () => { for await (const _ of readJsonl(join(dir, 'fifo.json'))); })()).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    await expect(readLlavaJson('/dev/zero')).rejects.toThrow(/a device, not a regular file/);
    await expect(readLlavaJson(dir)).rejects.toThrow(/a folder/);
    writeFileSync(join(dir, 'big.json'), JSON.stringify([rec(0)]));
    await expect(readLlavaJson(join(dir, 'big.json'), { maxBytes: 10 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });
});
