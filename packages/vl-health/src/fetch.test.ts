import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tar from 'tar';
import { zipSync } from 'fflate';
import { fetchDataset } from './fetch.js';
import { readVqaRad } from './readers/vqa-rad.js';

let server: Server;
let base = '';
let archive = Buffer.alloc(0);
let zip = Buffer.alloc(0);
const requests: { url: string; range?: string }[] = [];
/** URLs whose next response is cut after half of the body. */
const cutOnce = new Set<string>();

beforeAll(async () => {
  const src = mkdtempSync(join(tmpdir(), 'vlh-fetch-src-'));
  const root = join(src, 'VQA_RAD');
  mkdirSync(join(root, 'VQA_RAD Image Folder'), { recursive: true });
  const jpg = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer();
  writeFileSync(join(root, 'VQA_RAD Image Folder', 'synpic1.jpg'), jpg);
  const recs = [{ qid: 1, phrase_type: 'freeform', image_name: 'synpic1.jpg', image_organ: 'HEAD', question: 'Is this a CT?', question_type: 'MODALITY', answer: 'Yes', answer_type: 'CLOSED ' }];
  writeFileSync(join(root, 'VQA_RAD Dataset Public.json'), JSON.stringify(recs));
  // incompressible padding so the archive is large enough to be cut mid-stream
  const noise = new Uint8Array(256 * 1024);
  let x = 12345;
  for (let i = 0; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  writeFileSync(join(root, 'padding.bin'), noise);
  const file = join(src, 'vqa-rad.tar.gz');
  await tar.c({ gzip: true, cwd: src, file, portable: true }, ['VQA_RAD']);
  archive = readFileSync(file);
  zip = Buffer.from(zipSync({ 'VQA_RAD Dataset Public.json': Buffer.from(JSON.stringify(recs)), 'VQA_RAD Image Folder/synpic1.jpg': new Uint8Array(jpg) }));
  server = createServer((req, res) => {
    const body = req.url?.startsWith('/zip') ? zip : req.url?.startsWith('/data') ? archive : null;
    requests.push({ url: req.url ?? '', range: req.headers.range });
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start >= body.length) {
      res.writeHead(416).end();
      return;
    }
    const part = body.subarray(start);
    res.writeHead(m ? 206 : 200, { 'content-length': part.length, ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (cutOnce.delete(req.url ?? '')) {
      res.write(part.subarray(0, part.length >> 1), () => setTimeout(() => res.socket?.destroy(), 100));
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('fetchDataset (local server on 127.0.0.1 only)', () => {
  it('downloads, verifies, unpacks atomically and is then cached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-fetch-'));
    const r = await fetchDataset('vqa-rad', dir, { url: `${base}/data/a`, sha256: sha(archive) });
    expect(r).toMatchObject({ path: join(dir, 'vqa-rad'), cached: false, resumed: false, bytes: archive.length });
    const ds = await readVqaRad(r.path);
    expect(ds.records[0].answerType).toBe('CLOSED');
    expect(readdirSync(dir)).toEqual(['vqa-rad']); // no temporary or partial files left
    const again = await fetchDataset('vqa-rad', dir, { url: `${base}/data/a` });
    expect(again.cached).toBe(true);
  });

  it('resumes an interrupted download with an HTTP Range request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-fetch-'));
    cutOnce.add('/data/b');
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/b` })).rejects.toMatchObject({ code: 'FETCH' });
    const part = join(dir, '.vqa-rad.download');
    const have = statSync(part).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(archive.length);
    expect(existsSync(join(dir, 'vqa-rad'))).toBe(false); // nothing half-unpacked in place
    const r = await fetchDataset('vqa-rad', dir, { url: `${base}/data/b`, sha256: sha(archive) });
    expect(r.resumed).toBe(true);
    expect(requests.filter((q) => q.url === '/data/b').map((q) => q.range)).toEqual([undefined, `bytes=${have}-`]);
    expect((await readVqaRad(r.path)).records).toHaveLength(1);
  });

  it('unpacks zip archives too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-fetch-'));
    const r = await fetchDataset('vqa-rad', dir, { url: `${base}/zip` });
    expect((await readVqaRad(r.path)).records).toHaveLength(1);
  });

  it('a checksum mismatch is a typed error and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-fetch-'));
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/data/c`, sha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'CHECKSUM' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('offline or HTTP errors give a clear typed error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlh-fetch-'));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(fetchDataset('vqa-rad', dir, { url: `http://127.0.0.1:${port}/x` })).rejects.toThrow(/cannot reach .*offline/);
    await expect(fetchDataset('vqa-rad', dir, { url: `${base}/nothing` })).rejects.toThrow(/HTTP 404/);
    await expect(fetchDataset('unknown-set', dir)).rejects.toMatchObject({ code: 'ARGUMENT' });
  });
});
