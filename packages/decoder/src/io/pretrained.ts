import { CONFIG_FILE, WEIGHTS_FILE, WEIGHTS_INDEX_FILE, TensorCoreError, loadModelFolder, saveModelFolder, type FolderReader, type FolderWriter } from '@healthgpt/tensor-core';
import { toDecoderError } from '../model/config.js';
import { DecoderLM, type DecoderLMOptions } from '../model/decoder_lm.js';
import { GENERATION_CONFIG_FILE, parseGenerationConfig } from '../generate/generation_config.js';
import { decoderSpec } from './key_map.js';

export { CONFIG_FILE, WEIGHTS_FILE };
export const INDEX_FILE = WEIGHTS_INDEX_FILE;

/**
 * Load an HF model folder (config.json plus model.safetensors, or shards listed in
 * model.safetensors.index.json, and generation_config.json when present) through tensor-core's
 * model-folder reader: the config is type-checked, the headers are checked against the config's
 * key map before the model is built (without random initialisation), then the weights are copied
 * in. Strict: missing, unexpected and mis-shaped keys are listed in one `DecoderError` (a tied
 * model may carry a redundant `lm_head.weight`, which is skipped). `source` may be a
 * `FolderReader` (e.g. a sub-folder of an assembled model).
 */
export async function fromPretrained(source: string | FolderReader, options: DecoderLMOptions = {}): Promise<DecoderLM> {
  const { model, extras: generationConfig } = await loadModelFolder(source, decoderSpec, (config) => new DecoderLM(config, { ...options, init: false }), {
    maxParameters: options.maxParameters,
    wrapError: toDecoderError,
    extras: async (reader) => {
      const json = await reader.readJson(GENERATION_CONFIG_FILE, { optional: true });
      return json === undefined ? null : parseGenerationConfig(json, reader.path(GENERATION_CONFIG_FILE));
    },
  });
  model.generationConfig = generationConfig;
  return model;
}

export interface SavePretrainedOptions {
  /** Split into shards of at most this many bytes (with an index), as HF does for large models. */
  maxShardBytes?: number;
}

/**
 * Write config.json, the weights (one file, or shards + index) and generation_config.json (when the
 * model has one) into folder `target`, whole: a kill at any instant leaves the old folder or the new
 * one (see tensor-core's `FolderWriter`). Files of an earlier layout (stale shards, index) are
 * removed. With a `FolderWriter` the files are staged in it and its owner commits them with the
 * rest of a bigger save.
 */
export async function savePretrained(model: DecoderLM, target: string | FolderWriter, { maxShardBytes }: SavePretrainedOptions = {}): Promise<void> {
  const files: Record<string, string> = model.generationConfig ? { [GENERATION_CONFIG_FILE]: JSON.stringify(model.generationConfig.json, null, 2) + '\n' } : {};
  try {
    await saveModelFolder(target, { config: model.config.json, weights: model.namedParameters(), maxShardBytes, files });
  } catch (e) {
    throw e instanceof TensorCoreError ? toDecoderError(e) : e;
  }
}
