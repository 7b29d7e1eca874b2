import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DatasetError, messageOf } from '../errors.js';
import { decodeText, readRegular } from '../files.js';
import { formatPath, type Sample } from '../schema.js';

const nullable = z.union([z.string(), z.number(), z.null()]).optional();

/** A record as released: `qid` number or string, numeric answers, `"NULL"` fields, `answer_type` with stray spaces. */
const releaseRecord = z.object({
  qid: z.union([z.string().min(1), z.number()]),
  phrase_type: z.string().min(1),
  image_name: z.string().min(1),
  image_organ: z.string().optional(),
  question: z.string().min(1),
  question_type: z.union([z.string(), z.null()]).optional(),
  answer: z.union([z.string(), z.number(), z.boolean()]),
  answer_type: z.string(),
  qid_linked_id: nullable,
  image_case_url: nullable,
  evaluation: nullable,
  question_rephrase: nullable,
  question_relation: nullable,
  question_frame: nullable,
});

/** A normalised VQA-RAD record. */
export interface VqaRadRecord {
  qid: string;
  /** `freeform`, `para`, `test_freeform`, `test_para`, … lower-cased. */
  phraseType: string;
  /** The official split: test when `phrase_type` starts with `test`. */
  split: 'train' | 'test';
  imageName: string;
  organ: string | null;
  question: string;
  /** Comma-joined types split into a list (`['PRES', 'POS']`). */
  questionTypes: string[];
  /** As a string (numbers converted), original case kept. */
  answer: string;
  answerType: 'CLOSED' | 'OPEN';
  /** The remaining fields with `"NULL"` turned into null. */
  extra: Record<string, string | number | null>;
}

export interface VqaRadDataset {
  /** The JSON file and image folder found in `dir`. */
  jsonFile: string;
  imageDir: string;
  records: VqaRadRecord[];
  samples: Sample[];
  /** The release's own split, kept as released (by question). */
  split: { train: Sample[]; test: Sample[] };
  /** Image files in the folder that no record references (the release has such images). */
  unreferencedImages: string[];
}

const nul = (v: unknown) => (v === undefined || v === null || (typeof v === 'string' && v.trim().toUpperCase() === 'NULL') ? null : (v as string | number));

/** Normalise one raw release record (throws a `schema` DatasetError with the record index and dotted path). */
export function normaliseVqaRadRecord(raw: unknown, where: { file?: string; record?: number } = {}): VqaRadRecord {
  const r = releaseRecord.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new DatasetError('SCHEMA', `invalid VQA-RAD record: ${r.error.issues.map((x) => `${formatPath(x.path)}: ${x.message}`).join('; ')}`, { ...where, path: formatPath(i.path) });
  }
  const d = r.data;
  const answerType = d.answer_type.trim().toUpperCase();
  if (answerType !== 'CLOSED' && answerType !== 'OPEN') throw new DatasetError('SCHEMA', `answer_type must be CLOSED or OPEN, got "${d.answer_type}"`, { ...where, path: 'answer_type' });
  const phraseType = d.phrase_type.trim().toLowerCase();
  const organ = nul(d.image_organ);
  return {
    qid: String(d.qid).trim(),
    phraseType,
    split: phraseType.startsWith('test') ? 'test' : 'train',
    imageName: d.image_name.trim(),
    organ: organ === null ? null : String(organ).trim().toUpperCase(),
    question: d.question.trim(),
    questionTypes: (nul(d.question_type) === null ? [] : String(d.question_type).split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean),
    answer: String(d.answer).trim(),
    answerType,
    extra: {
      qid_linked_id: nul(d.qid_linked_id),
      image_case_url: nul(d.image_case_url),
      evaluation: nul(d.evaluation),
      question_rephrase: nul(d.question_rephrase),
      question_relation: nul(d.question_relation),
      question_frame: nul(d.question_frame),
    },
  };
}

/** The sample of a record; images are referenced relative to the release folder. */
export function vqaRadSample(rec: VqaRadRecord, imageFolder: string): Sample {
  return {
    id: `vqa-rad-${rec.qid}`,
    task: 'comprehension',
    subtask: 'vqa',
    images: [`${imageFolder}/${rec.imageName}`],
    conversations: [
      { from: 'human', value: `<image>\n${rec.question}` },
      { from: 'gpt', value: rec.answer },
    ],
    metadata: { source: 'vqa-rad', qid: rec.qid, split: rec.split, answerType: rec.answerType, questionTypes: rec.questionTypes, organ: rec.organ, phraseType: rec.phraseType },
  };
}

/**
 * Read the VQA-RAD official release from its folder (`VQA_RAD Dataset*.json` and
 * `VQA_RAD Image Folder/`, names matched case-insensitively). Works on the full release and on a
 * training-only copy. Records whose image file is missing are an error naming the record.
 */
export async function readVqaRad(dir: string, opts: { maxBytes?: number } = {}): Promise<VqaRadDataset> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: Error) => {
    throw new DatasetError('MISSING', `cannot read VQA-RAD folder: ${e.message}`, { file: dir, cause: e });
  });
  const json = entries.filter((e) => e.isFile() && /^vqa_rad dataset.*\.json$/i.test(e.name)).map((e) => e.name).sort();
  const folder = entries.find((e) => e.isDirectory() && /^vqa_rad image folder$/i.test(e.name))?.name;
  if (!json.length) throw new DatasetError('MISSING', 'no "VQA_RAD Dataset*.json" file', { file: dir });
  if (!folder) throw new DatasetError('MISSING', 'no "VQA_RAD Image Folder" directory', { file: dir });
  const jsonFile = join(dir, json[0]);
  let raw: unknown;
  const text = decodeText(await readRegular(jsonFile, opts.maxBytes));
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DatasetError('PARSE', `cannot parse: ${messageOf(e)}`, { file: jsonFile, cause: e });
  }
  if (!Array.isArray(raw)) throw new DatasetError('SCHEMA', 'the VQA-RAD JSON must be an array of records', { file: jsonFile });
  const imageDir = join(dir, folder);
  const images = new Set((await readdir(imageDir, { withFileTypes: true })).filter((e) => e.isFile() && /\.(jpe?g|png)$/i.test(e.name)).map((e) => e.name));
  const qids = new Map<string, number>();
  const records = raw.map((r, i) => {
    const rec = normaliseVqaRadRecord(r, { file: jsonFile, record: i });
    if (rec.imageName.includes('/') || rec.imageName.includes('\\') || !images.has(rec.imageName))
      throw new DatasetError('MISSING', `image "${rec.imageName}" is not in ${folder}`, { file: jsonFile, record: i, path: 'image_name' });
    const first = qids.get(rec.qid);
    if (first !== undefined) throw new DatasetError('DUPLICATE_ID', `qid "${rec.qid}" repeats record ${first}`, { file: jsonFile, record: i, path: 'qid' });
    qids.set(rec.qid, i);
    return rec;
  });
  const samples = records.map((r) => vqaRadSample(r, folder));
  const used = new Set(records.map((r) => r.imageName));
  return {
    jsonFile,
    imageDir,
    records,
    samples,
    split: { train: samples.filter((s) => s.metadata.split === 'train'), test: samples.filter((s) => s.metadata.split === 'test') },
    unreferencedImages: [...images].filter((n) => !used.has(n)).sort(),
  };
}
