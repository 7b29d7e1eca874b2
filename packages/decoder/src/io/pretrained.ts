import { existsSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors, writeFileAtomic, type Tensor } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import { parseConfig } from '../model/config.js';
import { DecoderLM, type DecoderLMOptions } from '../model/decoder_lm.js';
import { GENERATION_CONFIG_FILE, loadGenerationConfig } from '../generate/generation_config.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DecoderError('CHECKPOINT', `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path, cause: e });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new DecoderError('CHECKPOINT', `invalid JSON (${(e as Error).message})`, { file: path, cause: e });
  }
}

/** Which file holds which key: the index's `weight_map`, or every key of the single file. */
async function weightMap(dir: string): Promise<Map<string, string>> {
  const indexPath = join(dir, INDEX_FILE);
  if (existsSync(indexPath)) {
    const wm = (await readJson(indexPath)).weight_map;
    if (!wm || typeof wm !== 'object') throw new DecoderError('CHECKPOINT', `no 'weight_map' object`, { file: indexPath, path: 'weight_map' });
    const map = new Map(Object.entries(wm as Record<string, unknown>).map(([k, f]) => [k, String(f)]));
    for (const file of new Set(map.values())) {
      const have = new Set((await readSafetensorsHeader(join(dir, file))).tensors.keys());
      const want = [...map].filter(([, f]) => f === file).map(([k]) => k);
      const absent = want.filter((k) => !have.has(k));
      const extra = [...have].filter((k) => map.get(k) !== file);
      if (absent.length || extra.length)
        throw new DecoderError('CHECKPOINT', `does not match ${INDEX_FILE}${absent.length ? `; missing ${absent.slice(0, 5).join(', ')}` : ''}${extra.length ? `; not in the index: ${extra.slice(0, 5).join(', ')}` : ''}`, { file: join(dir, file) });
    }
    return map;
  }
  const single = join(dir, WEIGHTS_FILE);
  if (!existsSync(single)) throw new DecoderError('CHECKPOINT', `neither ${WEIGHTS_FILE} nor ${INDEX_FILE} found`, { file: dir });
  return new Map([...(await readSafetensorsHeader(single)).tensors.keys()].map((k) => [k, WEIGHTS_FILE]));
}

/**
 * Load an HF model directory: config.json plus model.safetensors or shards listed in
 * model.safetensors.index.json. Strict: a missing or unexpected key is an error listing them
 * (a tied model may carry a redundant `lm_head.weight`, which is skipped).
 */
export async function fromPretrained(dir: string, options: DecoderLMOptions = {}): Promise<DecoderLM> {
  const cfg = parseConfig(await readJson(join(dir, CONFIG_FILE)), join(dir, CONFIG_FILE));
  const map = await weightMap(dir);
  const generationConfig = await loadGenerationConfig(dir);
  const model = new DecoderLM(cfg, { init: false, ...options });
  model.generationConfig = generationConfig;
  try {
    const params = new Set(model.namedParameters().map(([k]) => k));
    const skip = (k: string) => cfg.tieWordEmbeddings && k === 'lm_head.weight';
    const missing = [...params].filter((k) => !map.has(k));
    const unexpected = [...map.keys()].filter((k) => !params.has(k) && !skip(k));
    if (missing.length || unexpected.length) {
      const list = (xs: string[]) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? `, … (${xs.length} in all)` : '');
      throw new DecoderError('CHECKPOINT', `checkpoint does not match the ${cfg.modelType} model${missing.length ? `; missing keys: ${list(missing)}` : ''}${unexpected.length ? `; unexpected keys: ${list(unexpected)}` : ''}`, { file: dir });
    }
    for (const file of new Set(map.values())) {
      const keys = [...map].filter(([k, f]) => f === file && !skip(k)).map(([k]) => k);
      const { tensors } = await loadSafetensors(join(dir, file), { keys });
      try {
        model.loadStateDict(tensors, { strict: false });
      } finally {
        tensors.forEach((t) => t.dispose());
      }
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

export interface SavePretrainedOptions {
  /** Split into shards of at most this many bytes (with an index), as HF does for large models. */
  maxShardBytes?: number;
}

/**
 * Write config.json and the weights (one file, or shards + index) into `dir`. Every file is
 * written atomically; weights first, config last. A stale index or shards from an earlier save
 * are removed so the directory loads back as written.
 */
export async function savePretrained(model: DecoderLM, dir: string, { maxShardBytes }: SavePretrainedOptions = {}): Promise<void> {
  const entries = model.namedParameters();
  const meta = { format: 'pt' };
  const stale = existsSync(join(dir, INDEX_FILE)) ? new Set(Object.values(((await readJson(join(dir, INDEX_FILE))).weight_map ?? {}) as Record<string, string>)) : new Set<string>();
  const total = entries.reduce((n, [, t]) => n + 4 * t.size, 0);
  if (!maxShardBytes || total <= maxShardBytes) {
    await saveSafetensors(join(dir, WEIGHTS_FILE), new Map<string, Tensor>(entries), meta);
    if (stale.size) await unlink(join(dir, INDEX_FILE));
  } else {
    const shards: [string, Tensor][][] = [[]];
    let size = 0;
    for (const e of entries) {
      if (size > 0 && size + 4 * e[1].size > maxShardBytes) {
        shards.push([]);
        size = 0;
      }
      shards[shards.length - 1].push(e);
      size += 4 * e[1].size;
    }
    const name = (i: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    const weightMapOut: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      await saveSafetensors(join(dir, name(i)), new Map(shard), meta);
      for (const [k] of shard) weightMapOut[k] = name(i);
      stale.delete(name(i));
    }
    await writeFileAtomic(join(dir, INDEX_FILE), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMapOut }, null, 2));
    if (existsSync(join(dir, WEIGHTS_FILE))) await unlink(join(dir, WEIGHTS_FILE));
  }
  for (const f of stale) if (existsSync(join(dir, f))) await unlink(join(dir, f));
  if (model.generationConfig) await writeFileAtomic(join(dir, GENERATION_CONFIG_FILE), JSON.stringify(model.generationConfig.json, null, 2) + '\n');
  await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(model.config.json, null, 2) + '\n');
}
