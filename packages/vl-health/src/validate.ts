import { readFile } from 'node:fs/promises';
import { DatasetError, type DatasetErrorCode } from './errors.js';
import { safeParseSample, type ParseSampleOptions, type Sample } from './schema.js';
import { loadImage } from './decode/image.js';
import { createReadStream } from 'node:fs';
import { resolveInside } from './safety.js';

export interface Problem {
  code: DatasetErrorCode;
  message: string;
  file?: string;
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
  /** Decode every referenced image (default true); otherwise only check that it exists inside the root. */
  decode?: boolean;
  maxPixels?: number;
}

/**
 * Check a whole VL-Health data set and report **every** problem (not just the first): JSON/JSONL
 * syntax per record, schema issues with dotted paths, duplicate ids, image paths escaping the
 * root, missing and undecodable images. `file` is a `.json` array or a `.jsonl` file inside `root`.
 */
export async function validateDataset(root: string, file: string, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const problems: Problem[] = [];
  const push = (e: unknown, fallback: { record?: number }) => {
    if (e instanceof DatasetError) problems.push({ code: e.code, message: e.message, file: e.file, record: e.record ?? fallback.record, path: e.path });
    else problems.push({ code: 'DECODE', message: String((e as Error)?.message ?? e), record: fallback.record });
  };
  const seen = new Map<string, number>();
  const checked = new Map<string, Problem | null>();
  let records = 0;
  const onSample = async (s: Sample, record: number) => {
    const first = seen.get(s.id);
    if (first !== undefined) problems.push({ code: 'DUPLICATE_ID', message: `duplicate id "${s.id}" (first at record ${first})`, file, record, path: 'id' });
    else seen.set(s.id, record);
    const refs = [...s.images.map((p, i) => [p, s.images.length === 1 ? 'image' : `image[${i}]`] as const), ...(s.targetImage ? [[s.targetImage, 'target_image'] as const] : [])];
    for (const [ref, path] of refs) {
      if (checked.has(ref)) {
        const p = checked.get(ref);
        if (p) problems.push({ ...p, record, path });
        continue;
      }
      try {
        if (opts.decode === false) {
          const full = resolveInside(root, ref, { file: ref, record });
          await readFile(full).catch((e: Error) => {
            throw new DatasetError('MISSING', `cannot read image: ${e.message}`, { file: ref, record });
          });
        } else await loadImage(root, ref, { record, maxPixels: opts.maxPixels });
        checked.set(ref, null);
      } catch (e) {
        const before = problems.length;
        push(e, { record });
        problems[before].path = path;
        checked.set(ref, problems[before]);
      }
    }
  };
  const onRecord = async (raw: unknown, record: number) => {
    const r = safeParseSample(raw, { ...opts, fallbackId: `${record}` });
    if (!r.ok) for (const iss of r.issues) problems.push({ code: 'SCHEMA', message: iss.message, file, record, path: iss.path });
    else await onSample(r.sample, record);
  };
  let full: string;
  try {
    full = resolveInside(root, file);
  } catch (e) {
    push(e, {});
    return { ok: false, records, problems };
  }
  if (/\.jsonl$/i.test(file)) {
    // Parse line by line ourselves so a bad line is reported and the scan goes on.
    const lines = streamLines(full);
    for await (const { line, text } of lines) {
      records++;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        problems.push({ code: 'PARSE', message: `invalid JSON line: ${(e as Error).message}`, file, record: line });
        continue;
      }
      await onRecord(raw, line);
    }
  } else {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(full, 'utf8'));
    } catch (e) {
      push(new DatasetError('PARSE', `cannot read or parse JSON: ${(e as Error).message}`, { file }), {});
      return { ok: false, records, problems };
    }
    if (!Array.isArray(raw)) problems.push({ code: 'SCHEMA', message: 'a VL-Health JSON file must hold an array', file });
    else
      for (let i = 0; i < raw.length; i++) {
        records++;
        await onRecord(raw[i], i);
      }
  }
  return { ok: problems.length === 0, records, problems };
}

async function* streamLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  let pending = '';
  let line = 0;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 })) {
    pending += chunk as string;
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const p of parts) {
      if (p.trim()) yield { line, text: p };
      line++;
    }
  }
  if (pending.trim()) yield { line, text: pending };
}
