import { readFile } from 'node:fs/promises';
import { DatasetError } from '../errors.js';
import { parseSample, type ParseSampleOptions, type Sample } from '../schema.js';

export interface ReadJsonOptions extends ParseSampleOptions {
  /** File name used in error messages. */
  file?: string;
}

/** Parse the text of a LLaVA / VL-Health JSON file (an array of records) into validated samples. */
export function parseLlavaJson(text: string, opts: ReadJsonOptions = {}): Sample[] {
  const { file } = opts;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DatasetError('PARSE', `invalid JSON: ${(e as Error).message}`, { file, cause: e });
  }
  if (!Array.isArray(raw)) throw new DatasetError('SCHEMA', 'a LLaVA / VL-Health JSON file must hold an array of samples', { file });
  return raw.map((rec, i) => parseSample(rec, { ...opts, file, record: i, fallbackId: opts.fallbackId ?? `${i}` }));
}

/** Read a LLaVA / VL-Health JSON file (`[{ id, image, conversations, task?, subtask?, ... }]`). */
export async function readLlavaJson(path: string, opts: Omit<ReadJsonOptions, 'file'> = {}): Promise<Sample[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DatasetError('MISSING', `cannot read: ${(e as Error).message}`, { file: path, cause: e });
  }
  return parseLlavaJson(text, { ...opts, file: path });
}
