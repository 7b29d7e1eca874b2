import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DecoderError } from '../errors.js';
import { MAX_TOKEN_ID } from '../tokenizer/vocabulary.js';

export const GENERATION_CONFIG_FILE = 'generation_config.json';

const tokenId = z.number().int().min(0).max(MAX_TOKEN_ID);
const positiveNumber = z.number().positive().finite();

/** The fields of HF's `generation_config.json` that `generate` uses, typed; other keys are kept as they are. */
const schema = z.looseObject({
  eos_token_id: z.union([tokenId, z.array(tokenId), z.null()]).optional(),
  bos_token_id: z.union([tokenId, z.null()]).optional(),
  pad_token_id: z.union([tokenId, z.null()]).optional(),
  max_new_tokens: z.union([z.number().int().positive(), z.null()]).optional(),
  do_sample: z.boolean().optional(),
  temperature: z.union([positiveNumber, z.null()]).optional(),
  top_k: z.union([z.number().int().min(0), z.null()]).optional(),
  top_p: z.union([z.number().gt(0).max(1), z.null()]).optional(),
  repetition_penalty: z.union([positiveNumber, z.null()]).optional(),
});

/** HF's `generation_config.json`, resolved. */
export interface GenerationConfig {
  /** `eos_token_id` as a list (HF allows a number or a list): the default stop tokens. */
  readonly eosTokenIds: number[];
  readonly bosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly maxNewTokens?: number;
  readonly doSample?: boolean;
  readonly temperature?: number;
  /** HF's `top_k` (0 = off). */
  readonly topK?: number;
  readonly topP?: number;
  readonly repetitionPenalty?: number;
  /** The object this came from, every key kept (written back by `savePretrained`). */
  readonly json: Record<string, unknown>;
}

/**
 * Validate a `generation_config.json` object: `eos_token_id` a token id or a list of them, other
 * ids token ids or null, sampling settings numbers in range. A wrongly typed field (`"248"` for an
 * id, `"true"` for `do_sample`) is an error naming the file and field, never reinterpreted.
 */
export function parseGenerationConfig(json: unknown, file?: string): GenerationConfig {
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('');
    throw new DecoderError('CONFIG', `generation config field '${path || '(root)'}': ${issue.message}`, { file, path: path || undefined });
  }
  const c = r.data;
  const eos = c.eos_token_id;
  const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
  return {
    eosTokenIds: eos === undefined || eos === null ? [] : Array.isArray(eos) ? [...eos] : [eos],
    bosTokenId: c.bos_token_id ?? null,
    padTokenId: c.pad_token_id ?? null,
    maxNewTokens: opt(c.max_new_tokens),
    doSample: c.do_sample,
    temperature: opt(c.temperature),
    topK: opt(c.top_k),
    topP: opt(c.top_p),
    repetitionPenalty: opt(c.repetition_penalty),
    json: { ...(json as Record<string, unknown>) },
  };
}

/** Read `generation_config.json` from a model folder (or the file itself); null when the folder has none. */
export async function loadGenerationConfig(path: string): Promise<GenerationConfig | null> {
  const file = path.endsWith('.json') ? path : join(path, GENERATION_CONFIG_FILE);
  if (!path.endsWith('.json') && !existsSync(file)) return null;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DecoderError('CONFIG', `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new DecoderError('CONFIG', `invalid JSON (${(e as Error).message})`, { file, cause: e });
  }
  return parseGenerationConfig(json, file);
}
