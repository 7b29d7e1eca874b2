import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import * as tar from 'tar';
import { DatasetError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { resolveInside } from './safety.js';

/** Where a data set comes from. `sha256` is checked when known. */
export interface DatasetSource {
  url: string;
  sha256?: string;
  /** Folder created under the target directory. */
  folder: string;
}

/**
 * Known sources. VQA-RAD is on OSF (osf.io/89kps); OSF builds its zip on the fly, so no fixed
 * checksum is known: pass `sha256` to pin the archive you trust. Override the URL with
 * `{ url }` or the `HEALTHGPT_VQA_RAD_URL` environment variable.
 */
export const DATASET_SOURCES: Record<string, DatasetSource> = {
  'vqa-rad': { url: 'https://files.osf.io/v1/resources/89kps/providers/osfstorage/?zip=', folder: 'vqa-rad' },
};

export interface FetchOptions {
  /** Source URL (default: the registry's, or `HEALTHGPT_<NAME>_URL`). */
  url?: string;
  /** Expected SHA-256 (hex) of the archive. */
  sha256?: string;
  /** Re-download even when the folder is already complete. */
  force?: boolean;
  /** Abort a request that stalls this long (default 60 s). */
  timeoutMs?: number;
  /** Injected fetch (default the global one). */
  fetch?: typeof globalThis.fetch;
}

export interface FetchResult {
  /** The folder holding the data set. */
  path: string;
  sha256: string;
  bytes: number;
  /** True when nothing was downloaded (already complete). */
  cached: boolean;
  /** True when the download continued a partial file (HTTP Range). */
  resumed: boolean;
}

const MARKER = '.vl-health-fetch.json';

/**
 * Download and unpack a data set into `dir/<folder>`: resumable (a partial `.download` file is
 * continued with an HTTP Range request), verified (SHA-256 when known), atomic (unpacked into a
 * temporary folder, then renamed into place; a complete folder carries a marker file). Archives:
 * zip or tar.gz. Failures are `fetch` / `checksum` DatasetErrors saying what to do.
 */
export async function fetchDataset(name: string, dir: string, opts: FetchOptions = {}): Promise<FetchResult> {
  const known = DATASET_SOURCES[name];
  const envUrl = process.env[`HEALTHGPT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`];
  const url = opts.url ?? envUrl ?? known?.url;
  if (!url) throw new DatasetError('ARGUMENT', `unknown data set "${name}" (known: ${Object.keys(DATASET_SOURCES).join(', ')}); pass { url }`);
  const folder = known?.folder ?? name.replace(/[^\w.-]/g, '_');
  const sha256 = (opts.sha256 ?? (opts.url || envUrl ? undefined : known?.sha256))?.toLowerCase();
  const final = join(dir, folder);
  const marker = join(final, MARKER);
  if (!opts.force && existsSync(marker)) {
    const m = JSON.parse(await readFile(marker, 'utf8')) as { sha256: string; bytes: number };
    return { path: final, sha256: m.sha256, bytes: m.bytes, cached: true, resumed: false };
  }
  await mkdir(dir, { recursive: true });
  const part = join(dir, `.${folder}.download`);
  const resumed = await download(url, part, opts);
  const bytes = await readFile(part);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (sha256 && digest !== sha256) {
    await rm(part, { force: true });
    throw new DatasetError('CHECKSUM', `checksum mismatch for ${url}: expected sha256 ${sha256}, got ${digest} (the partial file was removed; try again)`, { file: part });
  }
  const tmp = join(dir, `.${folder}.extract-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await unpack(bytes, part, tmp);
    const root = await singleRoot(tmp);
    await writeFileAtomic(join(root, MARKER), JSON.stringify({ name, url, sha256: digest, bytes: bytes.length }) + '\n');
    await rm(final, { recursive: true, force: true });
    await rename(root, final);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await rm(part, { force: true });
  return { path: final, sha256: digest, bytes: bytes.length, cached: false, resumed };
}

async function download(url: string, part: string, opts: FetchOptions): Promise<boolean> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const have = existsSync(part) ? (await stat(part)).size : 0;
  let res: Response;
  try {
    res = await doFetch(url, { headers: have ? { Range: `bytes=${have}-` } : {}, signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
  } catch (e) {
    const why = (e as { cause?: { code?: string } })?.cause?.code ?? (e as Error)?.message ?? String(e);
    throw new DatasetError('FETCH', `cannot reach ${url} (${why}): are you offline? Download the archive yourself and pass its URL with { url }, or retry later; a partial download is resumed`, { file: part, cause: e });
  }
  if (res.status === 416 && have > 0) return true; // the partial file is already complete
  if (res.status !== 200 && res.status !== 206) throw new DatasetError('FETCH', `HTTP ${res.status} ${res.statusText} from ${url}`, { file: part });
  const append = res.status === 206 && have > 0;
  if (append && !(res.headers.get('content-range') ?? '').startsWith(`bytes ${have}-`))
    throw new DatasetError('FETCH', `server answered a resume request with an unexpected range "${res.headers.get('content-range')}"`, { file: part });
  await mkdir(dirname(part), { recursive: true });
  const fh = await open(part, append ? 'a' : 'w');
  let got = 0;
  try {
    if (!res.body) throw new Error('empty response body');
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await fh.write(value);
      got += value.length;
    }
  } catch (e) {
    throw new DatasetError('FETCH', `download of ${url} interrupted after ${have + got} bytes (${(e as Error)?.message ?? e}); call again to resume`, { file: part, cause: e });
  } finally {
    await fh.close();
  }
  const expected = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(expected) && got !== expected)
    throw new DatasetError('FETCH', `download of ${url} ended after ${got} of ${expected} bytes; call again to resume`, { file: part });
  return append;
}

async function unpack(bytes: Uint8Array, file: string, into: string): Promise<void> {
  try {
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
      const entries = unzipSync(bytes);
      for (const [name, data] of Object.entries(entries)) {
        if (name.endsWith('/')) continue;
        const target = resolveInside(into, name, { file }); // refuses zip-slip entries
        await mkdir(dirname(target), { recursive: true });
        await writeFileAtomic(target, data);
      }
    } else if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      await tar.x({ file, cwd: into, strict: true, preservePaths: false });
    } else throw new Error('not a zip or tar.gz archive');
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError('DECODE', `cannot unpack archive: ${(e as Error)?.message ?? e}`, { file, cause: e });
  }
}

/** Descend while a folder holds exactly one sub-folder and nothing else (archives often wrap their content). */
async function singleRoot(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.length === 1 && entries[0].isDirectory() && !/image folder/i.test(entries[0].name)) return singleRoot(join(dir, entries[0].name));
  return dir;
}
