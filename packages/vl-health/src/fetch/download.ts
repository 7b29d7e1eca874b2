import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { lstat, open, rm, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatasetError, messageOf } from '../errors.js';

/** How far a download has got: bytes on disk (a resumed part counts) and the total when known. */
export interface DownloadProgress {
  received: number;
  total?: number;
}

export interface DownloadOptions {
  /** Abort an attempt when no byte arrives for this long (ms, default 60 s); it is then retried. */
  timeoutMs?: number;
  /** Give up when the whole download, retries included, takes longer (ms, default 2 h). */
  totalTimeoutMs?: number;
  /** Largest download in bytes (default 4 GiB): checked against Content-Length first, then as bytes arrive. */
  maxBytes?: number;
  /** Attempts after the first on a network error, a stall, HTTP 408 / 429 / 5xx or a short body (default 3). */
  retries?: number;
  /** Wait before the first retry (ms, default 1000), doubling each time. */
  retryDelayMs?: number;
  onProgress?: (p: DownloadProgress) => void;
  /** Injected fetch (default the global one). */
  fetch?: typeof globalThis.fetch;
  /** Cancels the download. */
  signal?: AbortSignal;
}

export interface Downloaded {
  bytes: number;
  sha256: string;
  /** True when an earlier partial file was continued with an HTTP Range request. */
  resumed: boolean;
}

const MAX_REDIRECTS = 10;
const OFFLINE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/** A failure worth another attempt (the partial file is kept and continued). */
class Retryable extends Error {}

/**
 * Download `url` to the file `part`, streaming to disk and hashing (SHA-256) as bytes arrive, so
 * memory stays at one chunk whatever the size. A partial `part` from an earlier call is continued
 * with an HTTP Range request (and hashed from disk first). Redirects are followed by hand, to
 * http(s) only. Errors are FETCH (with what to do), TOO_LARGE, or UNSAFE_PATH when `part` is not
 * a regular file.
 */
export async function download(url: string, part: string, opts: DownloadOptions = {}): Promise<Downloaded> {
  const { retries = 3, retryDelayMs = 1000, totalTimeoutMs = 2 * 3600_000 } = opts;
  const total = AbortSignal.timeout(totalTimeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, total]) : total;
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptDownload(url, part, opts, signal);
    } catch (e) {
      if (signal.aborted) {
        const why = total.aborted ? `took longer than ${totalTimeoutMs} ms in all (totalTimeoutMs)` : 'was cancelled';
        throw new DatasetError('FETCH', `download of ${url} ${why}; call again to resume`, { file: part, cause: e });
      }
      if (!(e instanceof Retryable)) throw e;
      if (attempt >= retries) throw new DatasetError('FETCH', `${e.message} (after ${attempt + 1} attempts); call again to resume`, { file: part, cause: e.cause });
      await sleep(retryDelayMs * 2 ** attempt, undefined, { signal }).catch(() => undefined);
    }
  }
}

async function attemptDownload(url: string, part: string, opts: DownloadOptions, outer: AbortSignal): Promise<Downloaded> {
  const { timeoutMs = 60_000, maxBytes = 4 * 2 ** 30, onProgress } = opts;
  const have = await partSize(part);
  const stall = new AbortController();
  const signal = AbortSignal.any([outer, stall.signal]);
  let timer = setTimeout(() => stall.abort(), timeoutMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), timeoutMs);
  };
  try {
    const res = await request(url, have, opts.fetch ?? globalThis.fetch, signal, part, timeoutMs, stall.signal);
    touch();
    if (res.status === 416 && have > 0) {
      // the part may already be complete: the server says how long the file is
      const size = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1]);
      if (size === have) return { bytes: have, sha256: await hashFile(part), resumed: true };
      await rm(part, { force: true });
      throw new Retryable(`server refused to resume ${url} at byte ${have}; starting over`);
    }
    if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Retryable(`HTTP ${res.status} ${res.statusText} from ${url}`);
    if (res.status !== 200 && res.status !== 206) throw new DatasetError('FETCH', `HTTP ${res.status} ${res.statusText} from ${url}`, { file: part });
    // Content-Encoding (gzip, br, …) is undone by fetch: then Content-Length counts encoded bytes
    // and a Range counts them too, so neither is trusted.
    const encoded = !/^(identity)?$/i.test(res.headers.get('content-encoding') ?? '');
    const append = res.status === 206 && have > 0 && !encoded;
    if (res.status === 206 && !append) throw new DatasetError('FETCH', `server answered ${url} with a partial response (HTTP 206) that was not asked for`, { file: part });
    if (append && !(res.headers.get('content-range') ?? '').startsWith(`bytes ${have}-`))
      throw new DatasetError('FETCH', `server answered a resume request with an unexpected range "${res.headers.get('content-range')}"`, { file: part });
    const length = encoded ? NaN : Number(res.headers.get('content-length') ?? NaN);
    const start = append ? have : 0;
    const expected = Number.isFinite(length) ? start + length : undefined;
    if (expected !== undefined && expected > maxBytes) throw new DatasetError('TOO_LARGE', `${url} is ${expected} bytes, more than the limit of ${maxBytes} (maxBytes)`, { file: part });
    const hash = createHash('sha256');
    if (append) await hashInto(hash, part);
    const fh = await openPart(part, append);
    let received = start;
    try {
      if (!res.body) throw new Retryable(`empty response body from ${url}`);
      const reader = res.body.getReader();
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          throw new Retryable(stall.signal.aborted ? `download of ${url} stalled: no data for ${timeoutMs} ms (timeoutMs)` : `download of ${url} interrupted after ${received} bytes (${messageOf(e)})`, { cause: e });
        }
        if (chunk.done) break;
        touch();
        received += chunk.value.length;
        if (received > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new DatasetError('TOO_LARGE', `${url} sent more than the limit of ${maxBytes} bytes (maxBytes)`, { file: part });
        }
        hash.update(chunk.value);
        await fh.write(chunk.value);
        onProgress?.({ received, total: expected });
      }
    } catch (e) {
      await fh.close();
      if (e instanceof DatasetError && e.code === 'TOO_LARGE') await rm(part, { force: true });
      throw e;
    }
    await fh.sync();
    await fh.close();
    if (expected !== undefined && received !== expected) throw new Retryable(`download of ${url} ended after ${received} of ${expected} bytes`);
    return { bytes: received, sha256: hash.digest('hex'), resumed: append };
  } finally {
    clearTimeout(timer);
  }
}

/** One request, following up to 10 redirects by hand and only to http(s). */
async function request(url: string, have: number, doFetch: typeof globalThis.fetch, signal: AbortSignal, part: string, timeoutMs: number, stalled: AbortSignal): Promise<Response> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: Response;
    try {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (have > 0) headers.range = `bytes=${have}-`;
      res = await doFetch(current, { headers, redirect: 'manual', signal });
    } catch (e) {
      if (signal.aborted && !stalled.aborted) throw e;
      if (stalled.aborted) throw new Retryable(`no answer from ${current} for ${timeoutMs} ms (timeoutMs)`, { cause: e });
      const code = (e as { cause?: { code?: string } })?.cause?.code;
      const detail = messageOf((e as { cause?: unknown })?.cause ?? e);
      if (code && OFFLINE.has(code))
        throw new Retryable(`cannot reach ${current} (${code}): are you offline? Download the archive yourself and pass its URL with { url }, or retry later; a partial download is resumed`, { cause: e });
      throw new DatasetError('FETCH', `request to ${current} failed: ${detail}`, { file: part, cause: e });
    }
    if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
    const location = res.headers.get('location');
    await res.body?.cancel().catch(() => undefined);
    if (!location) throw new DatasetError('FETCH', `HTTP ${res.status} redirect from ${current} without a Location`, { file: part });
    const next = new URL(location, current);
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      throw new DatasetError('FETCH', `${current} redirects to ${next.href}: only http and https are followed`, { file: part });
    current = next.href;
  }
  throw new DatasetError('FETCH', `more than ${MAX_REDIRECTS} redirects from ${url}`, { file: part });
}

/** The size of an existing partial download (0 when none); it must be a regular file, not a link. */
async function partSize(part: string): Promise<number> {
  try {
    const st = await lstat(part);
    if (!st.isFile()) throw new DatasetError('UNSAFE_PATH', 'the partial download is not a regular file (a link or folder is in its place); remove it', { file: part });
    return st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') return 0;
    throw e;
  }
}

function openPart(part: string, append: boolean): Promise<FileHandle> {
  const flags = constants.O_WRONLY | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0) | (append ? constants.O_APPEND : constants.O_TRUNC);
  return open(part, flags, 0o644);
}

async function hashInto(hash: Hash, file: string): Promise<void> {
  for await (const c of createReadStream(file)) hash.update(c as Buffer);
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  await hashInto(h, file);
  return h.digest('hex');
}
