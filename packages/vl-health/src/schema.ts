import { z } from 'zod';
import { DatasetError } from './errors.js';

/** The two task families of HealthGPT. */
export const TASKS = ['comprehension', 'generation'] as const;
export type Task = (typeof TASKS)[number];

/** Subtasks this package knows; others are accepted (the schema takes any non-empty name). */
export const KNOWN_SUBTASKS = [
  'vqa',
  'caption',
  'report',
  'super-resolution',
  'modality-conversion',
  'reconstruction',
  'denoising',
  'report-to-image',
] as const;

const turnSchema = z.object({
  from: z.enum(['human', 'gpt']),
  value: z.string(),
});

const imageRef = z.string().min(1, 'an image path must not be empty');

/** The on-disk record (LLaVA / VL-Health JSON): `image` may be one path or a list. */
export const sampleRecordSchema = z
  .object({
    id: z.string().min(1),
    task: z.enum(TASKS),
    subtask: z.string().min(1),
    image: z.union([imageRef, z.array(imageRef)]).optional(),
    conversations: z.array(turnSchema).min(1, 'a sample needs at least one conversation turn'),
    target_image: imageRef.optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
;

/**
 * Cross-field rules, checked on the raw record so they are reported alongside field errors:
 * turns alternate human/gpt starting with human; a generation sample has a target image.
 */
function crossFieldIssues(rec: Record<string, unknown>): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  if (Array.isArray(rec.conversations))
    rec.conversations.forEach((t, i) => {
      const from = (t as { from?: unknown } | null)?.from;
      const want = i % 2 === 0 ? 'human' : 'gpt';
      if ((from === 'human' || from === 'gpt') && from !== want) out.push({ path: `conversations[${i}].from`, message: `turn ${i} must be from "${want}", got "${from}"` });
    });
  if (rec.task === 'generation' && rec.target_image === undefined) out.push({ path: 'target_image', message: 'a generation sample needs a target_image' });
  return out;
}

export type ConversationTurn = z.infer<typeof turnSchema>;

/** A validated sample, normalised: `images` is always a list, unknown record keys moved into `metadata`. */
export interface Sample {
  id: string;
  task: Task;
  subtask: string;
  /** Image paths, relative to the data root. */
  images: string[];
  conversations: ConversationTurn[];
  /** For generation: the image the answer describes (relative to the data root). */
  targetImage?: string;
  metadata: Record<string, unknown>;
}

/** One schema problem: a dotted path inside the record and a message. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** Format a path array as `conversations[2].from`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

export interface ParseSampleOptions {
  /** Filled in when a record lacks them (plain LLaVA files have neither). */
  defaults?: { task?: Task; subtask?: string };
  /** Used when a record has no id: e.g. `${file}:${index}`. */
  fallbackId?: string;
}

const RECORD_KEYS = new Set(['id', 'task', 'subtask', 'image', 'conversations', 'target_image', 'metadata']);

/** Validate one raw record; returns the sample or every schema issue (never throws for bad data). */
export function safeParseSample(raw: unknown, opts: ParseSampleOptions = {}): { ok: true; sample: Sample } | { ok: false; issues: SchemaIssue[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, issues: [{ path: '(root)', message: 'a sample must be a JSON object' }] };
  const rec = { ...(raw as Record<string, unknown>) };
  if (typeof rec.id === 'number' && Number.isFinite(rec.id)) rec.id = String(rec.id);
  if (rec.id === undefined && opts.fallbackId) rec.id = opts.fallbackId;
  if (rec.task === undefined && opts.defaults?.task) rec.task = opts.defaults.task;
  if (rec.subtask === undefined && opts.defaults?.subtask) rec.subtask = opts.defaults.subtask;
  const r = sampleRecordSchema.safeParse(rec);
  const issues = [...(r.success ? [] : r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }))), ...crossFieldIssues(rec)];
  if (!r.success || issues.length) return { ok: false, issues };
  const d = r.data;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) if (!RECORD_KEYS.has(k)) extra[k] = v;
  const sample: Sample = {
    id: d.id,
    task: d.task,
    subtask: d.subtask,
    images: d.image === undefined ? [] : typeof d.image === 'string' ? [d.image] : d.image,
    conversations: d.conversations,
    metadata: { ...extra, ...(d.metadata ?? {}) },
  };
  if (d.target_image !== undefined) sample.targetImage = d.target_image;
  return { ok: true, sample };
}

/** Validate one raw record, throwing a `schema` DatasetError that names the first dotted path (all issues are in the message). */
export function parseSample(raw: unknown, opts: ParseSampleOptions & { file?: string; record?: number; line?: number } = {}): Sample {
  const r = safeParseSample(raw, opts);
  if (r.ok) return r.sample;
  const msg = r.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new DatasetError('SCHEMA', `invalid sample: ${msg}`, { file: opts.file, line: opts.line, record: opts.record, path: r.issues[0].path });
}

/** The on-disk record of a sample (inverse of `parseSample`). */
export function sampleToRecord(s: Sample): Record<string, unknown> {
  const rec: Record<string, unknown> = { id: s.id, task: s.task, subtask: s.subtask };
  if (s.images.length) rec.image = s.images.length === 1 ? s.images[0] : s.images;
  rec.conversations = s.conversations;
  if (s.targetImage !== undefined) rec.target_image = s.targetImage;
  if (Object.keys(s.metadata).length) rec.metadata = s.metadata;
  return rec;
}
