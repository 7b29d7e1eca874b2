import { CONFIG_FILE, FolderReader, HealthGPTError, TensorCoreError, WEIGHTS_FILE, loadModelFolder, saveModelFolder, type FolderWriter } from '@healthgpt/tensor-core';
import { toVQError, vqConfigSchema, type VQConfig } from './config.js';
import { vqSpec } from './key_map.js';
import { VQTokenizer, type VQTokenizerOptions } from './model.js';

export { CONFIG_FILE, WEIGHTS_FILE };
export { IGNORABLE_KEYS } from './key_map.js';

/** Read and type-check `config.json` of a tokenizer folder (or of a `FolderReader`'s folder). */
export async function loadConfig(source: string | FolderReader): Promise<VQConfig> {
  try {
    const reader = await FolderReader.from(source);
    return await reader.readConfig(CONFIG_FILE, vqConfigSchema, { what: 'a VQ tokenizer config' });
  } catch (e) {
    throw e instanceof HealthGPTError ? toVQError(e) : e;
  }
}

/**
 * Load `config.json` + `model.safetensors` through tensor-core's model-folder reader: the config is
 * type-checked, the headers are checked against its key map before the tokenizer is built (without
 * random initialisation), then the weights are copied in. Strict: every parameter must be present
 * and every key used, except taming's `loss.*`. `source` may be a `FolderReader` (the VQ sub-folder
 * of an assembled model).
 */
export async function loadPretrained(source: string | FolderReader, { maxParameters }: Pick<VQTokenizerOptions, 'maxParameters'> = {}): Promise<VQTokenizer> {
  const { model } = await loadModelFolder(source, vqSpec, (config) => new VQTokenizer(config, { init: false, maxParameters }), { maxParameters, wrapError: toVQError });
  return model;
}

/**
 * Write `config.json` and `model.safetensors` into a folder as one whole save (a kill at any instant
 * leaves the old folder or the new one); with a `FolderWriter` they are staged in it.
 */
export async function savePretrained(model: VQTokenizer, target: string | FolderWriter): Promise<void> {
  try {
    await saveModelFolder(target, { config: model.config, weights: model.namedParameters(), metadata: { format: 'pt', producer: '@healthgpt/vq-tokenizer' } });
  } catch (e) {
    throw e instanceof TensorCoreError ? toVQError(e) : e;
  }
}
