import { z } from 'zod';
import { TensorCoreError } from '../../errors.js';
import { basename } from 'node:path';
import { openRequiredFile, type OpenedFile } from '../fs/safe_open.js';
import { numelOf, type SafetensorsHeader, type TensorInfo } from '../safetensors/format.js';
import { readHeaderOf, readTensorBytes } from '../safetensors/read.js';
import { validateJson } from '../schema.js';
import type { FolderReader } from './reader.js';
import { WEIGHTS_FILE, WEIGHTS_INDEX_FILE, checkShardName } from './names.js';


/** One safetensors file of a checkpoint, its header read. */
export interface CheckpointShard {
  /** File name inside the folder. */
  name: string;
  path: string;
  header: SafetensorsHeader;
  /** Identity when the header was read; the data must come from the same file. */
  dev: number;
  ino: number;
  size: number;
}

/** Where a tensor of a checkpoint is. */
export interface StoredTensor {
  key: string;
  shard: CheckpointShard;
  info: TensorInfo;
}

/**
 * A checkpoint's headers: every tensor's name, dtype, shape and file, read without reading any
 * tensor data. `read` gives the bytes afterwards, from the very files whose headers were read.
 */
export class Checkpoint {
  constructor(
    /** Opens a shard again to read its data. */
    private readonly reopen: (shard: CheckpointShard) => Promise<OpenedFile>,
    /** The shards in order (one for a single file). */
    readonly shards: CheckpointShard[],
    /** Every tensor, in shard order then file order. */
    readonly tensors: Map<string, StoredTensor>,
    /** The index file, when sharded. */
    readonly indexFile?: string,
  ) {}

  /** Elements of the tensors `keep` selects (all by default). */
  numel(keep: (key: string) => boolean = () => true): number {
    let n = 0;
    for (const [k, t] of this.tensors) if (keep(k)) n += numelOf(t.info.shape);
    return n;
  }

  /**
   * Read the bytes of `keys` (in file order within each shard), calling `use` for each. Every
   * shard is opened once and must still be the file whose header was read.
   */
  async read(keys: Iterable<string>, use: (t: StoredTensor, bytes: Uint8Array) => void | Promise<void>): Promise<void> {
    const byShard = new Map<CheckpointShard, StoredTensor[]>();
    for (const k of keys) {
      const t = this.tensors.get(k);
      if (!t) throw new TensorCoreError('STATE_DICT', `no tensor '${k}' in the checkpoint`, { key: k, file: this.shards[0]?.path });
      if (!byShard.has(t.shard)) byShard.set(t.shard, []);
      byShard.get(t.shard)!.push(t);
    }
    for (const shard of this.shards) {
      const list = byShard.get(shard);
      if (!list) continue;
      list.sort((a, b) => a.info.dataOffsets[0] - b.info.dataOffsets[0]);
      const file = await this.reopen(shard);
      try {
        if (file.dev !== shard.dev || file.ino !== shard.ino || file.size !== shard.size)
          throw new TensorCoreError('FOLDER', `changed since its header was read (a save committed meanwhile?); load again`, { file: shard.path });
        for (const t of list) await use(t, await readTensorBytes(file, shard.header, t.info, t.key));
      } finally {
        await file.fh.close();
      }
    }
  }
}

const IndexSchema = z.looseObject({
  metadata: z.looseObject({}).nullable().optional(),
  weight_map: z.record(z.string(), z.string()),
});

async function readShard(file: OpenedFile, name: string): Promise<CheckpointShard> {
  try {
    const header = await readHeaderOf(file);
    return { name, path: file.path, header, dev: file.dev, ino: file.ino, size: file.size };
  } finally {
    await file.fh.close();
  }
}

export interface ReadCheckpointOptions {
  /** The single-file name (default `model.safetensors`). */
  file?: string;
  /** The shard index name (default `model.safetensors.index.json`); null: no sharding. */
  index?: string | null;
}

/**
 * The headers of a folder's weights: the single file, or the shards its index lists. Shard names
 * are confined to the folder; every key the index maps must be in its shard and every tensor of a
 * shard must be mapped to it; having both a single file and an index is an error (ambiguous).
 */
export async function readCheckpoint(reader: FolderReader, { file = WEIGHTS_FILE, index = WEIGHTS_INDEX_FILE }: ReadCheckpointOptions = {}): Promise<Checkpoint> {
  const hasSingle = await reader.has(file);
  const indexJson = index ? await reader.readJson(index, { optional: true }) : undefined;
  if (indexJson === undefined) {
    if (!hasSingle) throw new TensorCoreError('FOLDER', `no weights: neither ${file}${index ? ` nor ${index}` : ''} is in the folder`, { file: reader.dir });
    const shard = await readShard((await reader.open(file))!, file);
    return new Checkpoint(reopenIn(reader), [shard], tensorsOf(shard));
  }
  const indexPath = reader.path(index!);
  if (hasSingle) throw new TensorCoreError('FOLDER', `both ${file} and ${index} are in the folder; remove the one that is stale`, { file: reader.dir });
  const { weight_map: weightMap } = validateJson(IndexSchema, indexJson, { file: indexPath, what: 'shard index' });
  const names: string[] = [];
  for (const [key, name] of Object.entries(weightMap)) if (!names.includes(checkShardName(name, indexPath, key))) names.push(name);
  if (!names.length) throw new TensorCoreError('FOLDER', `'weight_map' lists no tensors`, { file: indexPath, path: 'weight_map' });
  const shards: CheckpointShard[] = [];
  for (const name of names) shards.push(await readShard((await reader.open(name))!, name));
  const tensors = new Map<string, StoredTensor>();
  for (const shard of shards) {
    for (const [key, info] of shard.header.tensors) {
      if (weightMap[key] !== shard.name)
        throw new TensorCoreError('FOLDER', `holds tensor '${key}' that ${index} maps ${Object.hasOwn(weightMap, key) ? `to ${weightMap[key]}` : 'nowhere'}`, { file: shard.path, key });
      tensors.set(key, { key, shard, info });
    }
  }
  const absent = Object.keys(weightMap).filter((k) => !tensors.has(k));
  if (absent.length)
    throw new TensorCoreError('FOLDER', `maps ${absent.length} tensor(s) to shards that do not hold them: ${absent.slice(0, 5).map((k) => `'${k}' → ${weightMap[k]}`).join(', ')}`, {
      file: indexPath,
      key: absent[0],
    });
  return new Checkpoint(reopenIn(reader), shards, tensors, indexPath);
}

const reopenIn = (reader: FolderReader) => async (shard: CheckpointShard) => (await reader.open(shard.name))!;
const tensorsOf = (shard: CheckpointShard) => new Map([...shard.header.tensors].map(([key, info]) => [key, { key, shard, info }]));

/**
 * The header of one safetensors file given by path (a regular file; FIFOs and devices are refused
 * without blocking), as a checkpoint whose tensors are read later.
 */
export async function readCheckpointFile(path: string): Promise<Checkpoint> {
  const shard = await readShard(await openRequiredFile(path), basename(path));
  return new Checkpoint(() => openRequiredFile(path), [shard], tensorsOf(shard));
}
