import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse, CsvError } from 'csv-parse/sync';
import { DatasetError, messageOf } from '../errors.js';
import { decodeText, readInside } from '../files.js';
import { resolveInside } from '../safety.js';
import type { Sample } from '../schema.js';

const IMAGE_EXT = /\.(png|jpe?g|webp|dcm|nii(\.gz)?)$/i;

/** Every image file under `dir` (recursively), as sorted paths relative to `dir`. */
export async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.isFile() && IMAGE_EXT.test(e.name)) out.push(relative(dir, join(d, e.name)).split('\\').join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

export interface ImageFolderOptions {
  /** CSV file inside `dir` (default `labels.csv`). */
  csv?: string;
  /** Column holding the image path relative to `dir` (default `image`). */
  imageColumn?: string;
  /** Largest CSV file read (default 256 MiB). */
  maxBytes?: number;
}

export interface ImageFolderResult {
  samples: Sample[];
  /** Images in the folder no CSV row references. */
  unlistedImages: string[];
}

const CAPTION_PROMPT = 'Describe this image.';
const REPORT_PROMPT = 'Write the radiology report for this image.';

/**
 * Read an image folder with a CSV of labels. Columns: `image` (required), then any of
 * `question` + `answer` (a VQA sample), `caption`, `report`; other columns go to metadata.
 */
export async function readImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<ImageFolderResult> {
  const csvName = opts.csv ?? 'labels.csv';
  const imageCol = opts.imageColumn ?? 'image';
  const file = resolveInside(dir, csvName);
  const rows = parseCsv(decodeText(await readInside(dir, csvName, opts.maxBytes)), file);
  const [headerRow, ...body] = rows;
  const header = headerRow?.fields;
  if (!header || !header.includes(imageCol)) throw new DatasetError('SCHEMA', `CSV header must have an "${imageCol}" column`, { file, line: headerRow?.line ?? 1 });
  const col = (name: string) => header.indexOf(name);
  const known = new Set([imageCol, 'question', 'answer', 'caption', 'report']);
  const samples: Sample[] = [];
  const used = new Set<string>();
  body.forEach(({ fields: r, line }, i) => {
    const record = i + 1; // the CSV record (0 is the header)
    const where = { file, record, line };
    const get = (name: string) => (col(name) >= 0 ? r[col(name)].trim() : '');
    const image = get(imageCol);
    resolveInside(dir, image, { ...where, path: imageCol });
    used.add(image);
    const metadata: Record<string, unknown> = {};
    header.forEach((h, j) => {
      if (!known.has(h)) metadata[h] = r[j];
    });
    const base = { task: 'comprehension' as const, images: [image], metadata };
    const turns = (q: string, a: string) => [
      { from: 'human' as const, value: `<image>\n${q}` },
      { from: 'gpt' as const, value: a },
    ];
    const before = samples.length;
    if (get('question') && get('answer')) samples.push({ ...base, id: `${record}-vqa`, subtask: 'vqa', conversations: turns(get('question'), get('answer')) });
    if (get('caption')) samples.push({ ...base, id: `${record}-caption`, subtask: 'caption', conversations: turns(CAPTION_PROMPT, get('caption')) });
    if (get('report')) samples.push({ ...base, id: `${record}-report`, subtask: 'report', conversations: turns(REPORT_PROMPT, get('report')) });
    if (samples.length === before) throw new DatasetError('SCHEMA', 'row has no question + answer, caption or report', where);
  });
  const all = await listImages(dir);
  return { samples, unlistedImages: all.filter((p) => !used.has(p)) };
}

/** Parse CSV text with csv-parse (RFC 4180; BOM, quoted fields, CRLF, LF or CR, mixed; every row as long as the header), with each row's line. */
function parseCsv(text: string, file: string): { fields: string[]; line: number }[] {
  try {
    const rows = parse(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: false, record_delimiter: ['\r\n', '\n', '\r'] }) as unknown as { record: string[]; info: { lines: number } }[];
    return rows.map((r) => ({ fields: r.record, line: r.info.lines }));
  } catch (e) {
    const line = e instanceof CsvError ? (e as CsvError & { lines?: number }).lines : undefined;
    throw new DatasetError('PARSE', `invalid CSV: ${messageOf(e)}`, { file, line, cause: e });
  }
}
