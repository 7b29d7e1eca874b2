import {
  FolderReader,
  HealthGPTError,
  loadPlanTensors,
  readCheckpoint,
  withFolderWriter,
  type Checkpoint,
  type FolderWriter,
  type Tensor,
  type TensorInfo,
} from '@healthgpt/tensor-core';
import { HLoraError } from './errors.js';

/** peft's file names of an adapter folder. */
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** A tensor-core error (a folder, config or safetensors problem) as an `HLoraError`, keeping it as the cause. */
export function toHLoraError(e: HealthGPTError): HLoraError {
  return new HLoraError(e.code === 'CONFIG' ? 'CONFIG' : e.code === 'STATE_DICT' ? 'STATE_DICT' : 'CHECKPOINT', e.detail, { ...e.context, cause: e });
}

async function wrapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw e instanceof HealthGPTError && !(e instanceof HLoraError) ? toHLoraError(e) : e;
  }
}

/** An adapter folder as read: the parsed config now, the weights' header and tensors on demand. */
export interface AdapterFolder {
  /** Path of adapter_config.json (for messages). */
  configFile: string;
  /** adapter_config.json, parsed (not yet checked: `fromConfigJson` does that). */
  json: unknown;
  /** Path of adapter_model.safetensors. */
  weightsFile: string;
  /** The weights' header (every tensor's dtype and shape; no tensor data read), from the same version of the folder. */
  header(): Promise<Map<string, TensorInfo>>;
  /** Read the tensors (the caller owns and disposes them), from the file whose header was read. */
  tensors(): Promise<Map<string, Tensor>>;
}

/**
 * Read an adapter folder (PEFT layout) through tensor-core's folder reader: adapter_config.json (a
 * regular file inside the folder, JSON with errors naming the line) now, adapter_model.safetensors
 * (its header first) on demand, all from one consistent version of the folder (a save interrupted
 * after its commit point reads as the new version). `source` may be a `FolderReader` (a task
 * plugin's sub-folder of an assembled model).
 */
export function readAdapterFolder(source: string | FolderReader): Promise<AdapterFolder> {
  return wrapped(async () => {
    const reader = await FolderReader.from(source);
    const json = await reader.readJson(ADAPTER_CONFIG_FILE);
    let ckpt: Promise<Checkpoint> | undefined;
    const checkpoint = () => (ckpt ??= readCheckpoint(reader, { file: ADAPTER_WEIGHTS_FILE, index: null }));
    return {
      configFile: reader.path(ADAPTER_CONFIG_FILE),
      json,
      weightsFile: reader.path(ADAPTER_WEIGHTS_FILE),
      header: () => wrapped(async () => new Map([...(await checkpoint()).tensors].map(([k, t]) => [k, t.info]))),
      tensors: () =>
        wrapped(async () => {
          const c = await checkpoint();
          return loadPlanTensors(c, c.tensors.keys());
        }),
    };
  });
}

/**
 * Write an adapter folder whole (adapter_config.json and adapter_model.safetensors become visible
 * together; a kill at any instant leaves the old pair or the new one), or stage both in a
 * `FolderWriter` whose owner commits them with a bigger save.
 */
export function writeAdapterFolder(target: string | FolderWriter, json: unknown, tensors: Map<string, Tensor>): Promise<void> {
  return wrapped(() =>
    withFolderWriter(target, async (w) => {
      await w.json(ADAPTER_CONFIG_FILE, json);
      await w.safetensors(ADAPTER_WEIGHTS_FILE, tensors, { metadata: { format: 'pt' } });
    }),
  );
}
