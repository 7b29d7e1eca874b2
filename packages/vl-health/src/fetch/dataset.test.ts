import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { fetchDataset } from './dataset.js';
import { readVqaRad } from '../readers/vqa_rad.js';
import { makeTar, makeZip, type TarEntry } from '../test_util/archives.js';
import { tempDir } from '@healthgpt/testing';

let server: Server;
let base = '';
let archive = Buffer.alloc(0);
let zip = Buffer.alloc(0);
let hostile = Buffer.alloc(0);
const requests: { url: string; range?: string }[] = [];
/** URL → how its next responses misbehave, one per request. */
const script = new Map<string, ('cut' | 'stall' | '500' | 'none')[]>();

beforeAll(async () => {
  const jpg = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer();
  const recs = [{ qid: 1, phrase_type: 'freeform', image_name: 'synpic1.jpg', image_organ: 'HEAD', question: 'Is this a CT?', question_type: 'MODALITY', answer: 'Yes', answer_type: 'CLOSED ' }];
  // incompressible padding so the archive is large enough to be cut mid-stream
  const noise = new Uint8Array(256 * 1024);
  let x = 12345;
  for (let i = 0; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const entries: TarEntry[] = [
    { name: 'VQA_RAD/', type: 'dir' },
    { name: 'VQA_RAD/VQA_RAD Image Folder/', type: 'dir' },
    { name: 'VQA_RAD/VQA_RAD Image Folder/synpic1.jpg', data: jpg },
    { name: 'VQA_RAD/VQA_RAD Dataset Public.json', data: Buffer.from(JSON.stringify(recs)) },
    { name: 'VQA_RAD/padding.bin', data: noise },
  ];
  archive = gzipSync(makeTar(entries));
  zip = Buffer.from(makeZip([{ name: 'VQA_RAD Dataset Public.json', data: Buffer.from(JSON.stringify(recs)) }, { name: 'VQA_RAD Image Folder/synpic1.jpg', data: jpg }]));
  hostile = gzipSync(makeTar([...entries.slice(0, 4), { name: 'VQA_RAD/../../escaped.txt', data: Buffer.from('gotcha') }]));
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push({ url, range: req.headers.range });
    const mode = script.get(url)?.shift() ?? 'none';
    if (url.startsWith('/redirect-file')) return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    if (url.startsWith('/redirect-ok')) return void res.writeHead(301, { location: '/data/redirected' }).end();
    if (url.startsWith('/gzip-encoded')) {
      const body = gzipSync(archive);
      return void res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length }).end(body);
    }
    if (url.startsWith('/endless')) {
      res.writeHead(200);
      let sent = 0;
      const push = () => {
        while (sent < 64 * 2 ** 20 && res.write(Buffer.alloc(65536))) sent += 65536;
        if (sent >= 64 * 2 ** 20) res.end();
      };
      res.on('drain', push);
      res.on('close', () => res.off('drain', push));
      return push();
    }
    if (mode === '500') return void res.writeHead(503).end();
    const body = url.startsWith('/zip') ? zip : url.startsWith('/hostile') ? hostile : url.startsWith('/data') ? archive : null;
    if (!body) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    const part = body.subarray(start);
    res.writeHead(m ? 206 : 200, { 'content-length': part.length, ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (mode === 'cut') return void res.write(part.subarray(0, part.length >> 1), () => setTimeout(() => res.socket?.destroy(), 50));
    if (mode === 'stall') return void res.write(part.subarray(0, part.length >> 1)); // then silence, socket left open
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fast = { retryDelayMs: 1 };

describe('fetchDataset (local server on 127.0.0.1 only)', () => {
  it('streams to disk, verifies, unpacks atomically, reports progress, and is then cached', async () => {
    const dir = tempDir('vlh-fetch');
    const progress: number[] = [];
    const r = await fetchDataset('vqa-rad', dir, { url: `${base}/data/a`, sha256: sha(archive), onProgress: (p) => progress.push(p.received) });
    expect(r).toMatchObject({ path: join(dir, 'vqa-rad'), cached: false, resumed: false, bytes: archive.length, sha256: sha(archive) });
    expect(progress.at(-1)).toBe(archive.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const ds = await readVqaRad(r.path);
    expect(ds.records[0].answerType).toBe('CLOSED');
    expect(readdirSync(dir)).toEqual(['vqa-rad']); // no temporary or partial files left
    const again = await fetchDataset('vqa-rad', dir, { url: `${base}/data/a` });
    expect(again).toMatchObject({ cached: true, sha256: sha(archive) });
  });

  it('resumes an interrupted download with an HTTP Range request, across calls and within one (retries)', async () => {
    const dir = tempDir('vlh-fetch');
    script.set('/data/b', ['cut']);
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/b`, retries: 0 })).rejects.toMatchObject({ code: 'FETCH' });
    const part = join(dir, '.vqa-rad.download');
    const have = statSync(part).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(archive.length);
    expect(existsSync(join(dir, 'vqa-rad'))).toBe(false); // nothing half-unpacked in place
    const r = await fetchDataset('vqa-rad', dir, { url: `${base}/data/b`, sha256: sha(archive) });
    expect(r.resumed).toBe(true);
    expect(requests.filter((q) => q.url === '/data/b').map((q) => q.range)).toEqual([undefined, `bytes=${have}-`]);
    expect((await readVqaRad(r.path)).records).toHaveLength(1);
    // within one call: a cut, a 503 and a stall are retried, each continuing where it stopped
    const dir2 = tempDir('vlh-fetch');
    script.set('/data/c', ['cut', '500', 'stall']);
    const r2 = await fetchDataset('vqa-rad', dir2, { url: `${base}/data/c`, sha256: sha(archive), timeoutMs: 1500, ...fast });
    expect(r2).toMatchObject({ resumed: true, sha256: sha(archive) });
    expect(requests.filter((q) => q.url === '/data/c')).toHaveLength(4);
  });

  it('a stall past the retries says it stalled; the total timeout stops everything', async () => {
    script.set('/data/d', ['stall', 'stall']);
    await expect(fetchDataset('vqa-rad', tempDir('vlh-fetch'), { url: `${base}/data/d`, timeoutMs: 200, retries: 1, ...fast })).rejects.toThrow(/stalled: no data for 200 ms \(timeoutMs\).*after 2 attempts/);
    script.set('/data/e', ['stall', 'stall', 'stall']);
    await expect(fetchDataset('vqa-rad', tempDir('vlh-fetch'), { url: `${base}/data/e`, timeoutMs: 5000, totalTimeoutMs: 300, ...fast })).rejects.toThrow(/longer than 300 ms in all \(totalTimeoutMs\)/);
  });

  it('unpacks zip archives, follows http redirects, and reads gzip Content-Encoding', async () => {
    expect((await readVqaRad((await fetchDataset('vqa-rad', tempDir('vlh-fetch'), { url: `${base}/zip` })).path)).records).toHaveLength(1);
    expect((await fetchDataset('vqa-rad', tempDir('vlh-fetch'), { url: `${base}/redirect-ok`, sha256: sha(archive) })).bytes).toBe(archive.length);
    const enc = await fetchDataset('vqa-rad', tempDir('vlh-fetch'), { url: `${base}/gzip-encoded`, sha256: sha(archive) });
    expect((await readVqaRad(enc.path)).records).toHaveLength(1);
  });

  it('a checksum mismatch is a typed error and leaves nothing behind', async () => {
    const dir = tempDir('vlh-fetch');
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/f`, sha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'CHECKSUM' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('offline, HTTP errors and redirects out of http(s) give clear typed errors', async () => {
    const dir = tempDir('vlh-fetch');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(fetchDataset('vqa-rad', dir, { url: `http://127.0.0.1:${port}/x`, retries: 0 })).rejects.toThrow(/cannot reach .*ECONNREFUSED.*are you offline/);
    const toFile = fetchDataset('vqa-rad', dir, { url: `${base}/redirect-file` });
    await expect(toFile).rejects.toThrow(/redirects to file:\/\/\/etc\/passwd: only http and https are followed/);
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/redirect-file` })).rejects.not.toThrow(/offline/);
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/nothing` })).rejects.toThrow(/HTTP 404/);
    await expect(fetchDataset('vqa-rad', dir, { url: 'file:///etc/passwd' })).rejects.toMatchObject({ code: 'ARGUMENT' });
    await expect(fetchDataset('unknown-set', dir)).rejects.toMatchObject({ code: 'ARGUMENT' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('download size cap: refused from Content-Length before a byte is written, or as bytes stream in', async () => {
    const dir = tempDir('vlh-fetch');
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/g`, maxBytes: 1000 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/endless`, maxBytes: 2 ** 20 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a tar with a '../' entry: a typed error naming the entry, nothing outside, no .vqa-rad.extract-* left", async () => {
    const parent = tempDir('vlh-fetch');
    const dir = join(parent, 'data');
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/hostile` })).rejects.toMatchObject({ code: 'UNSAFE_PATH', key: 'VQA_RAD/../../escaped.txt' });
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(parent)).toEqual(['data']);
  });
});

describe('fetchDataset never touches what it did not make', () => {
  it('property: a name that is not one plain segment is refused before any file operation or request', async () => {
    const bad = fc.oneof(
      fc.constantFrom('..', '.', '', '/', '../x', 'a/b', 'a\\b', '.hidden', '-x', 'x\0y', '..\\..', ' ', 'a b', 'vqa-rad/..'),
      fc.string().filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(s)),
    );
    await fc.assert(
      fc.asyncProperty(bad, async (name) => {
        const parent = tempDir('vlh-fetch-name');
        const dir = join(parent, 'target');
        mkdirSync(dir);
        writeFileSync(join(parent, 'keep-parent.txt'), 'p');
        writeFileSync(join(dir, 'keep.txt'), 'k');
        const before = requests.length;
        await expect(fetchDataset(name, dir, { url: `${base}/data/h`, force: true })).rejects.toMatchObject({ code: 'ARGUMENT' });
        expect(requests.length).toBe(before);
        expect(readdirSync(parent).sort()).toEqual(['keep-parent.txt', 'target']);
        expect(readdirSync(dir)).toEqual(['keep.txt']);
      }),
      { numRuns: 40 },
    );
  });

  it('a link planted where the partial download goes is refused, and what it points to is untouched', async () => {
    const parent = tempDir('vlh-fetch');
    const dir = join(parent, 'data');
    mkdirSync(dir);
    writeFileSync(join(parent, 'precious.txt'), 'keep me');
    symlinkSync(join(parent, 'precious.txt'), join(dir, '.vqa-rad.download'));
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/k` })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(readFileSync(join(parent, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('an existing folder without the fetch marker is left alone, even with force', async () => {
    const dir = tempDir('vlh-fetch');
    mkdirSync(join(dir, 'vqa-rad'));
    writeFileSync(join(dir, 'vqa-rad', 'mine.txt'), 'mine');
    for (const force of [false, true])
      await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/i`, force })).rejects.toThrow(/was not made by fetchDataset.*left alone/);
    expect(readdirSync(join(dir, 'vqa-rad'))).toEqual(['mine.txt']);
  });

  it('force replaces a folder an earlier call made; a corrupt marker is a typed error that force gets past', async () => {
    const dir = tempDir('vlh-fetch');
    const first = await fetchDataset('vqa-rad', dir, { url: `${base}/zip` });
    const marker = join(first.path, '.vl-health-fetch.json');
    writeFileSync(marker, '{"sha256": "not json');
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/j` })).rejects.toMatchObject({ code: 'PARSE', file: marker });
    writeFileSync(marker, JSON.stringify({ sha256: 42 }));
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/j` })).rejects.toThrow(/fetch marker is corrupt/);
    const again = await fetchDataset('vqa-rad', dir, { url: `${base}/data/j`, force: true, sha256: sha(archive) });
    expect(again).toMatchObject({ cached: false, sha256: sha(archive) });
    expect(readFileSync(join(again.path, 'padding.bin')).length).toBe(256 * 1024); // the tar's content, not the zip's
    expect(readdirSync(dir)).toEqual(['vqa-rad']);
  });
});
