import { DatasetError, messageOf } from '../errors.js';
import { decodeText, readRegular } from '../files.js';
import { parseSample, type ParseSampleOptions, type Sample } from '../schema.js';

export interface ReadJsonOptions extends ParseSampleOptions {
  /** File name used in error messages. */
  file?: string;
  /** Largest file `readLlavaJson` reads whole (default 256 MiB); use JSONL for larger sets. */
  maxBytes?: number;
}

/** Throw DUPLICATE_ID at the first id that repeats an earlier one. */
export function checkUniqueIds(samples: readonly Sample[], file?: string): void {
  const seen = new Map<string, number>();
  samples.forEach((s, i) => {
    const first = seen.get(s.id);
    if (first !== undefined) throw new DatasetError('DUPLICATE_ID', `id "${s.id}" repeats record ${first}`, { file, record: i, path: 'id' });
    seen.set(s.id, i);
  });
}

/** Parse the text of a LLaVA / VL-Health JSON file (an array of records) into validated samples with unique ids. */
export function parseLlavaJson(text: string, opts: ReadJsonOptions = {}): Sample[] {
  const { file } = opts;
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new DatasetError('PARSE', `invalid JSON: ${messageOf(e)}`, { file, cause: e });
  }
  if (!Array.isArray(raw)) throw new DatasetError('SCHEMA', 'a LLaVA / VL-Health JSON file must hold an array of samples', { file });
  const samples = raw.map((rec, i) => parseSample(rec, { ...opts, file, record: i, fallbackId: opts.fallbackId ?? `${i}` }));
  checkUniqueIds(samples, file);
  return samples;
}

/** Read a LLaVA / VL-Health JSON file (`[{ id, image, conversations, task?, subtask?, ... }]`): a regular file of at most `maxBytes`. */
export async function readLlavaJson(path: string, opts: Omit<ReadJsonOptions, 'file'> = {}): Promise<Sample[]> {
  return parseLlavaJson(decodeText(await readRegular(path, opts.maxBytes)), { ...opts, file: path });
}
