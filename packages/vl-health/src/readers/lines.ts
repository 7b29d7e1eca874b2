import { StringDecoder } from 'node:string_decoder';
import { DatasetError } from '../errors.js';

export interface Line {
  /** 0-based line index. */
  line: number;
  /** The line without its LF / CRLF; null when it was longer than the limit (and skipped). */
  text: string | null;
}

export interface SplitLinesOptions {
  /** Longest line in UTF-16 code units (default 16 Mi). */
  maxLineLength?: number;
  /** `throw` (default) a TOO_LARGE error at an over-long line, or `skip` it (yielded with `text: null`). */
  tooLong?: 'throw' | 'skip';
  file?: string;
}

/**
 * Split a stream of text or UTF-8 bytes into lines in time linear in its length and memory
 * bounded by the longest accepted line: each chunk is scanned once, and the pieces of an
 * unfinished line are joined only when its newline arrives. A leading byte-order mark is dropped.
 */
export async function* splitLines(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, opts: SplitLinesOptions = {}): AsyncGenerator<Line> {
  const { maxLineLength = 16 * 1024 * 1024, tooLong = 'throw', file } = opts;
  const decoder = new StringDecoder('utf8');
  let parts: string[] = [];
  let length = 0;
  let skipping = false;
  let line = 0;
  let first = true;
  const overflow = (): Line => {
    if (tooLong === 'throw') throw new DatasetError('TOO_LARGE', `line longer than ${maxLineLength} characters (maxLineLength)`, { file, line: line + 1, record: line });
    skipping = true;
    parts = [];
    length = 0;
    return { line, text: null };
  };
  const finish = (piece: string): Line | null => {
    const text = parts.length ? parts.join('') + piece : piece;
    parts = [];
    length = 0;
    return skipping ? null : { line, text: text.endsWith('\r') ? text.slice(0, -1) : text };
  };
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    let s = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (first && s.length) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    let start = 0;
    for (;;) {
      const nl = s.indexOf('\n', start);
      const end = nl === -1 ? s.length : nl;
      if (!skipping && length + end - start > maxLineLength) yield overflow();
      if (nl === -1) {
        if (!skipping && end > start) {
          parts.push(s.slice(start));
          length += end - start;
        }
        break;
      }
      const done = finish(s.slice(start, nl));
      if (done) yield done;
      skipping = false;
      line++;
      start = nl + 1;
    }
  }
  const rest = decoder.end();
  if (rest) {
    if (!skipping && length + rest.length > maxLineLength) yield overflow();
    else if (!skipping) {
      parts.push(rest);
      length += rest.length;
    }
  }
  if (length > 0 && !skipping) {
    const done = finish('');
    if (done) yield done;
  }
}
