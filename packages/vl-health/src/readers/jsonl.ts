import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { DatasetError } from '../errors.js';
import { parseSample, type ParseSampleOptions, type Sample } from '../schema.js';

export interface JsonlOptions extends ParseSampleOptions {
  file?: string;
  /** Longest accepted line in UTF-16 code units (default 16 Mi): guards against a file with no newlines. */
  maxLineLength?: number;
}

/** One parsed line: the sample and its 0-based line index. */
export interface JsonlItem {
  line: number;
  sample: Sample;
}

/**
 * Stream samples out of JSONL text chunks in bounded memory: only the current partial line is
 * buffered, and the source is pulled only as fast as the consumer iterates. Blank lines are
 * skipped; a bad line throws a DatasetError naming the file and line (`record`).
 */
export async function* streamJsonl(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, opts: JsonlOptions = {}): AsyncGenerator<JsonlItem> {
  const { file, maxLineLength = 16 * 1024 * 1024 } = opts;
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  const parseLine = (text: string): JsonlItem | null => {
    const idx = line++;
    const t = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (t.trim() === '') return null;
    let raw: unknown;
    try {
      raw = JSON.parse(t);
    } catch (e) {
      throw new DatasetError('PARSE', `invalid JSON line: ${(e as Error).message}`, { file, record: idx, cause: e });
    }
    return { line: idx, sample: parseSample(raw, { ...opts, file, record: idx, fallbackId: `${idx}` }) };
  };
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let nl = pending.indexOf('\n');
    let from = 0;
    while (nl !== -1) {
      const item = parseLine(pending.slice(from, nl));
      if (item) yield item;
      from = nl + 1;
      nl = pending.indexOf('\n', from);
    }
    pending = pending.slice(from);
    if (pending.length > maxLineLength)
      throw new DatasetError('TOO_LARGE', `line longer than ${maxLineLength} characters`, { file, record: line });
  }
  pending += decoder.end();
  const last = parseLine(pending);
  if (last) yield last;
}

/** Stream a JSONL file from disk (see `streamJsonl`). */
export function readJsonl(path: string, opts: Omit<JsonlOptions, 'file'> = {}): AsyncGenerator<JsonlItem> {
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  const src = (async function* () {
    try {
      for await (const c of stream) yield c as Buffer;
    } catch (e) {
      throw new DatasetError('MISSING', `cannot read: ${(e as Error).message}`, { file: path, cause: e });
    }
  })();
  return streamJsonl(src, { ...opts, file: path });
}
