import { tf, type Tensor } from '../../tf.js';
import { HealthGPTError } from '../../base/errors.js';
import { TensorCoreError } from '../../errors.js';
import type { Module } from '../../module.js';
import { disposeOnThrow } from '../../dispose_on_throw.js';
import { decodeTensor } from '../safetensors/memory.js';
import { readCheckpoint, type Checkpoint, type ReadCheckpointOptions } from '../folder/checkpoint.js';
import { CONFIG_FILE } from '../folder/names.js';
import { FolderReader } from '../folder/reader.js';
import { planLoad, type LoadPlan, type ModelSpec, type PlanOptions } from './spec.js';

export interface LoadModelFolderOptions<C = unknown, E = undefined> extends Omit<PlanOptions, 'file'>, ReadCheckpointOptions {
  /** The config file's name (default `config.json`). */
  configFile?: string;
  /**
   * Read more of the folder (`generation_config.json`, `tokenizer.json`, …) from the same version
   * as the config and weights, before anything is built; the result is returned as `extras`.
   */
  extras?: (reader: FolderReader, config: C) => Promise<E>;
  /**
   * Turn tensor-core's errors into the calling package's error class (keep `e` as the cause);
   * default: thrown as they are.
   */
  wrapError?: (e: HealthGPTError) => Error;
}

/**
 * Copy the planned tensors into `module`'s parameters, one tensor in memory at a time. Every
 * parameter must be planned (a key map out of step with the model is an error).
 */
export async function loadPlanInto(module: Module, ckpt: Checkpoint, plan: LoadPlan): Promise<void> {
  const params = new Map(module.namedParameters());
  const planned = new Set(plan.map(([name]) => name));
  const unplanned = [...params.keys()].filter((k) => !planned.has(k));
  const unknown = [...planned].filter((k) => !params.has(k));
  if (unplanned.length || unknown.length)
    throw new TensorCoreError('STATE_DICT', `the key map and the built model disagree (model only: ${unplanned.slice(0, 5).join(', ') || 'none'}; key map only: ${unknown.slice(0, 5).join(', ') || 'none'})`);
  const byKey = new Map(plan.map(([name, stored]) => [stored.key, name]));
  await ckpt.read(byKey.keys(), (stored, bytes) => {
    const p = params.get(byKey.get(stored.key)!)!;
    const t = decodeTensor(stored.info, bytes, stored.key, stored.shard.path);
    try {
      tf.tidy(() => p.assign(t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
    } finally {
      t.dispose();
    }
  });
}

/** Read the planned tensors into a map (the caller owns and disposes them). */
export async function loadPlanTensors(ckpt: Checkpoint, keys: Iterable<string>): Promise<Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  try {
    await ckpt.read(keys, (stored, bytes) => void out.set(stored.key, decodeTensor(stored.info, bytes, stored.key, stored.shard.path)));
  } catch (e) {
    out.forEach((t) => t.dispose());
    throw e;
  }
  return out;
}

const wrap = (e: unknown, fn?: (e: HealthGPTError) => Error): unknown => (fn && e instanceof HealthGPTError ? fn(e) : e);

/**
 * Load a model folder: config.json checked against the spec's schema, the weights' headers read
 * (single file or shards, names confined to the folder) and checked against the config's key map
 * (`planLoad`: header before allocation), then the model built (`build`, without random
 * initialisation: pass `init: false`), then the tensors copied in one at a time. Whatever fails
 * is a typed error naming the file, field or key, and disposes what had been made.
 */
export async function loadModelFolder<C, M extends Module, E = undefined>(
  source: string | FolderReader,
  spec: ModelSpec<C>,
  build: (config: C) => M,
  { configFile = CONFIG_FILE, wrapError, file, index, extras, ...plan }: LoadModelFolderOptions<C, E> = {},
): Promise<{ model: M; config: C; extras: E }> {
  try {
    for (let attempt = 0; ; attempt++) {
      const reader = await FolderReader.from(source);
      const config = await reader.readConfig(configFile, spec.schema);
      const ckpt = await readCheckpoint(reader, { file, index });
      const steps = planLoad(spec, config, ckpt, { ...plan, file: reader.path(configFile) });
      const more = (extras ? await extras(reader, config) : undefined) as E;
      if (!(await reader.unchanged()) && typeof source === 'string' && attempt < 2) continue;
      const model = disposeOnThrow(() => build(config));
      try {
        await loadPlanInto(model, ckpt, steps);
      } catch (e) {
        model.dispose();
        throw e;
      }
      return { model, config, extras: more };
    }
  } catch (e) {
    throw wrap(e, wrapError);
  }
}
