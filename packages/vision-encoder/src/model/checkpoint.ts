import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors, readSafetensorsHeader, StateDictError, type Module, type Tensor } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';

/**
 * Keys a full CLIP checkpoint (CLIPModel: both towers) holds that the vision tower does not
 * use: the text tower, the two projections, the temperature, and `position_ids` buffers.
 */
export const CLIP_IGNORABLE_KEYS: readonly RegExp[] = [/^text_model\./, /^visual_projection\./, /^text_projection\./, /^logit_scale$/, /(^|\.)position_ids$/];

export interface LoadWeightsOptions {
  /**
   * Only keys starting with `prefix` are read, with the prefix removed (e.g.
   * `model.vision_tower.vision_tower.` in a LLaVA checkpoint); keys outside it are skipped.
   */
  prefix?: string;
  /** Keys (after the prefix is removed) that may be present without a parameter. */
  ignore?: readonly (string | RegExp)[];
  /** Name used in error messages (the file). */
  source?: string;
}

const matches = (k: string, pats: readonly (string | RegExp)[]) => pats.some((p) => (typeof p === 'string' ? p === k : p.test(k)));

/** The checkpoint keys `module` would take from `keys`: under the prefix, and not ignorable. */
export function selectKeys(keys: Iterable<string>, { prefix = '', ignore = CLIP_IGNORABLE_KEYS }: LoadWeightsOptions = {}): string[] {
  return [...keys].filter((k) => k.startsWith(prefix) && !matches(k.slice(prefix.length), ignore));
}

/**
 * Strictly copy `tensors` into `module`: every parameter must be given and every selected key
 * must name a parameter of the right shape; a `VisionEncoderError` lists all that do not.
 */
export function loadWeightsInto(module: Module, tensors: Map<string, Tensor>, opts: LoadWeightsOptions = {}): void {
  const prefix = opts.prefix ?? '';
  const picked = new Map<string, Tensor>();
  for (const k of selectKeys(tensors.keys(), opts)) picked.set(k.slice(prefix.length), tensors.get(k)!);
  try {
    module.loadStateDict(picked, { strict: true });
  } catch (e) {
    if (!(e instanceof StateDictError)) throw e;
    const key = [...e.missing, ...e.unexpected, ...e.mismatched.map((m) => m.key)][0];
    throw new VisionEncoderError('STATE_DICT', e.detail, { file: opts.source, key, cause: e });
  }
}

/** The safetensors files of a model folder: `model.safetensors`, or the shards its index names. */
export async function weightFiles(dir: string): Promise<string[]> {
  const single = join(dir, 'model.safetensors');
  const index = join(dir, 'model.safetensors.index.json');
  const text = await readFile(index, 'utf8').catch(() => null);
  if (text === null) return [single];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new VisionEncoderError('CHECKPOINT', `invalid JSON (${(e as Error).message})`, { file: index, cause: e });
  }
  const map = (parsed as { weight_map?: Record<string, string> }).weight_map;
  if (!map || typeof map !== 'object') throw new VisionEncoderError('CHECKPOINT', `no 'weight_map' object`, { file: index });
  return [...new Set(Object.values(map))].map((f) => join(dir, f));
}

/**
 * Read only the selected tensors of a model folder (a full CLIP file's text tower is never read).
 * The caller owns the returned tensors.
 */
export async function readWeights(dir: string, opts: LoadWeightsOptions = {}): Promise<Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  try {
    for (const file of await weightFiles(dir)) {
      const header = await readSafetensorsHeader(file).catch((e: Error) => {
        throw new VisionEncoderError('CHECKPOINT', `cannot read safetensors header (${e.message})`, { file, cause: e });
      });
      const keys = selectKeys(header.tensors.keys(), opts);
      const { tensors } = await loadSafetensors(file, { keys }).catch((e: Error) => {
        throw new VisionEncoderError('CHECKPOINT', `cannot read tensors (${e.message})`, { file, cause: e });
      });
      for (const [k, t] of tensors) out.set(k, t);
    }
  } catch (e) {
    out.forEach((t) => t.dispose());
    throw e;
  }
  return out;
}

/** Parse a JSON file, with errors that name it. */
export async function readJson(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new VisionEncoderError('CHECKPOINT', `cannot read (${e.code ?? e.message})`, { file, cause: e });
  });
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new VisionEncoderError('CHECKPOINT', `invalid JSON (${(e as Error).message})`, { file, cause: e });
  }
}
