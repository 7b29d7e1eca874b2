import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatasetError, messageOf } from '../errors.js';

/**
 * Decompress gzip bytes only as far as needed: the first `headBytes` (or fewer, when the stream
 * is shorter) are handed to `sizeFor`, which returns the total number of bytes wanted (or throws,
 * e.g. when a header promises too much). Exactly that many bytes are then allocated once and
 * filled; decompression stops there, so a bomb never inflates past what its header declares.
 * The result is shorter than `sizeFor` said when the stream ends early (the caller reports it).
 */
export async function gunzipBounded(gz: Uint8Array, headBytes: number, sizeFor: (head: Uint8Array) => number, file?: string): Promise<Uint8Array> {
  // The input goes in 4 KiB at a time through a pipe, so inflation waits for the consumer: one
  // write inflates to at most ~4 MiB (deflate's ratio is at most ~1032:1) before backpressure.
  const input = Buffer.from(gz.buffer, gz.byteOffset, gz.byteLength);
  const source = Readable.from(
    (function* () {
      for (let at = 0; at < input.length; at += 4096) yield input.subarray(at, at + 4096);
    })(),
    { objectMode: false, highWaterMark: 4096 },
  );
  const z = createGunzip({ chunkSize: 64 * 1024 });
  source.pipe(z);
  const head = new Uint8Array(headBytes);
  let inHead = 0;
  let out: Uint8Array | null = null;
  let got = 0;
  try {
    for await (const chunk of z as AsyncIterable<Buffer>) {
      let c: Uint8Array = chunk;
      if (!out) {
        const take = Math.min(c.length, headBytes - inHead);
        head.set(c.subarray(0, take), inHead);
        inHead += take;
        c = c.subarray(take);
        if (inHead < headBytes) continue;
        out = new Uint8Array(sizeFor(head));
        got = Math.min(headBytes, out.length);
        out.set(head.subarray(0, got));
      }
      const take = Math.min(c.length, out.length - got);
      out.set(c.subarray(0, take), got);
      got += take;
      if (got === out.length) break;
    }
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError('DECODE', `corrupt gzip stream: ${messageOf(e)}`, { file, cause: e });
  } finally {
    source.destroy();
    z.destroy();
  }
  if (!out) {
    out = new Uint8Array(sizeFor(head.subarray(0, inHead)));
    got = Math.min(inHead, out.length);
    out.set(head.subarray(0, got));
  }
  return got === out.length ? out : out.subarray(0, got);
}
