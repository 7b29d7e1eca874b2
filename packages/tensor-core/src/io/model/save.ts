import { join } from 'node:path';
import { openRegularFile } from '../fs/safe_open.js';
import { readJsonFile } from '../fs/json.js';
import { FolderWriter } from '../folder/writer.js';
import { CONFIG_FILE, WEIGHTS_FILE, WEIGHTS_INDEX_FILE, checkShardName } from '../folder/names.js';
import type { SafetensorsDtype } from '../safetensors/dtypes.js';
import { entriesOf, storedBytes, storedDtype, type TensorData } from '../safetensors/tensor_data.js';

/** Tensors by checkpoint name: a map, a record, or `[name, tensor]` pairs (`module.namedParameters()`). */
export type TensorEntries = Map<string, TensorData> | Record<string, TensorData> | Iterable<readonly [string, TensorData]>;

export interface WriteWeightsOptions {
  /** Split into shards of at most this many bytes (with an index), as HF does for large models. */
  maxShardBytes?: number;
  /** `__metadata__` of every file (default `{ format: 'pt' }`, what HF writes). */
  metadata?: Record<string, string>;
  /** File dtype per tensor (default: the dtype it was loaded with, else F32 / I32 / BOOL). */
  dtypes?: Record<string, SafetensorsDtype> | Map<string, SafetensorsDtype>;
}

/** The shard names an existing index lists (only plain names; a bad index lists none). */
async function previousShards(dir: string): Promise<string[]> {
  const file = await openRegularFile(join(dir, WEIGHTS_INDEX_FILE), { root: dir, optional: true }).catch(() => null);
  if (!file) return [];
  try {
    const json = (await readJsonFile(file)) as { weight_map?: Record<string, unknown> };
    const names = new Set<string>();
    for (const [k, v] of Object.entries(json?.weight_map ?? {})) names.add(checkShardName(v, file.path, k));
    return [...names];
  } catch {
    return [];
  } finally {
    await file.fh.close();
  }
}

const shardName = (i: number, n: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;

/**
 * Stage a model's weights in `writer`'s folder: `model.safetensors`, or shards of at most
 * `maxShardBytes` plus `model.safetensors.index.json`. The files of the layout the folder had
 * before (a single file, an index and its shards) that this save does not rewrite are removed at
 * commit, so the folder loads back as written. Returns the file names written.
 */
export async function writeWeights(writer: FolderWriter, tensors: TensorEntries, { maxShardBytes, metadata = { format: 'pt' }, dtypes }: WriteWeightsOptions = {}): Promise<string[]> {
  const dt = dtypes instanceof Map ? dtypes : new Map(Object.entries(dtypes ?? {}));
  const entries = entriesOf(tensors).map(([name, t]) => ({ name, t, bytes: storedBytes(t, storedDtype(t, name, dt.get(name))) }));
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  const stale = new Set([WEIGHTS_FILE, WEIGHTS_INDEX_FILE, ...(await previousShards(writer.dir))]);
  const written: string[] = [];
  if (!maxShardBytes || total <= maxShardBytes) {
    await writer.safetensors(WEIGHTS_FILE, entries.map((e) => [e.name, e.t] as const), { metadata, dtypes: dt });
    written.push(WEIGHTS_FILE);
  } else {
    const shards: (typeof entries)[] = [[]];
    let size = 0;
    for (const e of entries) {
      if (size > 0 && size + e.bytes > maxShardBytes) {
        shards.push([]);
        size = 0;
      }
      shards[shards.length - 1].push(e);
      size += e.bytes;
    }
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      const name = shardName(i, shards.length);
      await writer.safetensors(name, shard.map((e) => [e.name, e.t] as const), { metadata, dtypes: dt });
      for (const e of shard) weightMap[e.name] = name;
      written.push(name);
    }
    await writer.json(WEIGHTS_INDEX_FILE, { metadata: { total_size: total }, weight_map: weightMap });
    written.push(WEIGHTS_INDEX_FILE);
  }
  for (const f of stale) if (!written.includes(f)) writer.remove(f);
  return written;
}

export interface SaveModelFolderOptions extends WriteWeightsOptions {
  /** The config.json object. */
  config: unknown;
  /** The weights by checkpoint name. */
  weights: TensorEntries;
  /** More files to write with them (`tokenizer.json`, `preprocessor_config.json`), by relative path. */
  files?: Record<string, string | Uint8Array>;
  /** The config file's name (default `config.json`). */
  configFile?: string;
}

/**
 * Save a model folder whole: config.json, the weights (single or sharded) and any extra files.
 * With a path, the folder is committed here; with a `FolderWriter` (the folder of a bigger save,
 * or one of its sub-folders) the files are staged and the caller commits.
 */
export async function saveModelFolder(target: string | FolderWriter, { config, weights, files = {}, configFile = CONFIG_FILE, ...opts }: SaveModelFolderOptions): Promise<void> {
  await withFolderWriter(target, async (writer) => {
    await writer.json(configFile, config);
    await writeWeights(writer, weights, opts);
    for (const [name, data] of Object.entries(files)) await writer.file(name, data);
  });
}

/** Stage through `target` (committed by the caller), or open, fill and commit a save of folder `target`. */
export async function withFolderWriter(target: string | FolderWriter, fill: (writer: FolderWriter) => Promise<void>): Promise<void> {
  const writer = typeof target === 'string' ? await FolderWriter.open(target) : target;
  try {
    await fill(writer);
    if (writer !== target) await writer.commit();
  } catch (e) {
    if (writer !== target) await writer.abort();
    throw e;
  }
}
