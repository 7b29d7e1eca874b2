import { DatasetError, messageOf, type DatasetErrorCode } from './errors.js';
import { safeParseSample, type ParseSampleOptions, type Sample } from './schema.js';
import { loadImage } from './decode/image.js';
import { decodeText, openInside, readOpened, type Where } from './files.js';
import { splitLines } from './readers/lines.js';

export interface Problem {
  code: DatasetErrorCode;
  message: string;
  file?: string;
  /** 1-based line (JSONL). */
  line?: number;
  record?: number;
  path?: string;
}

export interface ValidationReport {
  ok: boolean;
  /** Records read (valid or not). */
  records: number;
  /** Every problem found, in file order. */
  problems: Problem[];
}

export interface ValidateOptions extends ParseSampleOptions {
  /** Decode every referenced image (default true); otherwise only check that it is a readable regular file inside the root. */
  decode?: boolean;
  maxPixels?: number;
  /** Largest image file, and largest `.json` data file (read whole), in bytes (default 256 MiB). */
  maxBytes?: number;
  /** Longest JSONL line (default 16 Mi characters); a longer line is reported and skipped. */
  maxLineLength?: number;
}

/**
 * Check a whole VL-Health data set and report **every** problem (not just the first): JSON/JSONL
 * syntax per record, schema issues with dotted paths, duplicate ids, and every image reference
 * under the same rules as `loadImage`, whether or not it is decoded: inside the root (also after
 * following links), a regular file (never a FIFO, device or folder), at most `maxBytes`.
 * `file` is a `.json` array or a `.jsonl` file inside `root`, read under the same rules.
 */
export async function validateDataset(root: string, file: string, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const problems: Problem[] = [];
  const report = (e: unknown, where: Where = {}): Problem => {
    const p: Problem =
      e instanceof DatasetError
        ? { code: e.code, message: e.message, file: e.file, line: e.line ?? where.line, record: e.record ?? where.record, path: e.path ?? where.path }
        : { code: 'DECODE', message: messageOf(e), ...where };
    problems.push(p);
    return p;
  };
  const seen = new Map<string, number>();
  const checked = new Map<string, Problem | null>();
  let records = 0;

  const checkImage = async (ref: string, where: Where) => {
    if (checked.has(ref)) {
      const p = checked.get(ref);
      if (p) problems.push({ ...p, record: where.record, line: where.line, path: where.path });
      return;
    }
    try {
      if (opts.decode === false) await (await openInside(root, ref, opts.maxBytes, where)).fh.close();
      else await loadImage(root, ref, { record: where.record, path: where.path, maxPixels: opts.maxPixels, maxBytes: opts.maxBytes });
      checked.set(ref, null);
    } catch (e) {
      checked.set(ref, report(e, where));
    }
  };
  const onRecord = async (raw: unknown, record: number, line?: number) => {
    records++;
    const r = safeParseSample(raw, { ...opts, fallbackId: `${record}` });
    if (!r.ok) {
      for (const iss of r.issues) problems.push({ code: 'SCHEMA', message: iss.message, file, line, record, path: iss.path });
      return;
    }
    const s: Sample = r.sample;
    const first = seen.get(s.id);
    if (first !== undefined) problems.push({ code: 'DUPLICATE_ID', message: `duplicate id "${s.id}" (first at record ${first})`, file, line, record, path: 'id' });
    else seen.set(s.id, record);
    for (const [i, ref] of s.images.entries()) await checkImage(ref, { record, line, path: s.images.length === 1 ? 'image' : `image[${i}]` });
    if (s.targetImage) await checkImage(s.targetImage, { record, line, path: 'target_image' });
  };

  let opened;
  try {
    opened = await openInside(root, file, /\.jsonl$/i.test(file) ? Infinity : opts.maxBytes);
  } catch (e) {
    report(e);
    return { ok: false, records, problems };
  }
  if (/\.jsonl$/i.test(file)) {
    const stream = opened.fh.createReadStream({ highWaterMark: 1 << 16 });
    try {
      for await (const { line, text } of splitLines(stream, { maxLineLength: opts.maxLineLength, tooLong: 'skip', file })) {
        const where = { file, record: line, line: line + 1 };
        if (text === null) {
          records++;
          problems.push({ code: 'TOO_LARGE', message: `line longer than ${opts.maxLineLength ?? 16 * 1024 * 1024} characters (maxLineLength); skipped`, ...where });
          continue;
        }
        if (text.trim() === '') continue;
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch (e) {
          records++;
          problems.push({ code: 'PARSE', message: `invalid JSON line: ${messageOf(e)}`, ...where });
          continue;
        }
        await onRecord(raw, line, line + 1);
      }
    } finally {
      stream.destroy();
    }
  } else {
    let raw: unknown;
    try {
      raw = JSON.parse(decodeText(await readOpened(opened)));
    } catch (e) {
      report(new DatasetError('PARSE', `cannot parse JSON: ${messageOf(e)}`, { file }));
      return { ok: false, records, problems };
    }
    if (!Array.isArray(raw)) problems.push({ code: 'SCHEMA', message: 'a VL-Health JSON file must hold an array', file });
    else for (let i = 0; i < raw.length; i++) await onRecord(raw[i], i);
  }
  return { ok: problems.length === 0, records, problems };
}
