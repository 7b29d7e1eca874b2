import { DatasetError, messageOf } from '../errors.js';
import { openRegular } from '../files.js';
import { parseSample, type ParseSampleOptions, type Sample } from '../schema.js';
import { splitLines } from './lines.js';

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
 * Stream samples out of JSONL text chunks in bounded memory and linear time: only the current
 * line is buffered, and the source is pulled only as fast as the consumer iterates. Blank lines
 * are skipped; a bad line or a repeated id throws a DatasetError naming the file and line
 * (`record` is the 0-based line, `line` the 1-based one). The ids seen so far are kept to find
 * repeats.
 */
export async function* streamJsonl(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, opts: JsonlOptions = {}): AsyncGenerator<JsonlItem> {
  const { file, maxLineLength } = opts;
  const ids = new Map<string, number>();
  for await (const { line, text } of splitLines(source, { maxLineLength, file })) {
    if (text === null || text.trim() === '') continue;
    const where = { file, record: line, line: line + 1 };
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new DatasetError('PARSE', `invalid JSON line: ${messageOf(e)}`, { ...where, cause: e });
    }
    const sample = parseSample(raw, { ...opts, ...where, fallbackId: `${line}` });
    const first = ids.get(sample.id);
    if (first !== undefined) throw new DatasetError('DUPLICATE_ID', `id "${sample.id}" repeats the one on line ${first + 1}`, { ...where, path: 'id' });
    ids.set(sample.id, line);
    yield { line, sample };
  }
}

/** Stream a JSONL file from disk (see `streamJsonl`); the path must be a regular file. */
export async function* readJsonl(path: string, opts: Omit<JsonlOptions, 'file'> = {}): AsyncGenerator<JsonlItem> {
  const f = await openRegular(path, Infinity);
  const stream = f.fh.createReadStream({ highWaterMark: 1 << 16 });
  try {
    const chunks = (async function* () {
      try {
        for await (const c of stream) yield c as Buffer;
      } catch (e) {
        throw new DatasetError('MISSING', `cannot read: ${messageOf(e)}`, { file: path, cause: e });
      }
    })();
    yield* streamJsonl(chunks, { ...opts, file: path });
  } finally {
    stream.destroy();
    await f.fh.close().catch(() => undefined);
  }
}
