import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HealthGPTError, StateDictError, loadSafetensors, saveSafetensors, writeFileAtomic } from '@healthgpt/tensor-core';
import { makeConfig, type VQConfig } from './config.js';
import { VQTokenizer } from './model.js';
import { VQTokenizerError } from './errors.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';

/** Keys a taming checkpoint may hold that inference does not use (the discriminator and LPIPS). */
export const IGNORABLE_KEYS: RegExp[] = [/^loss\./];

/** Read and validate `<dir>/config.json`. */
export async function loadConfig(dir: string): Promise<VQConfig> {
  const file = join(dir, CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new VQTokenizerError('CHECKPOINT', `cannot read the tokenizer config (${(e as Error).message})`, { file, cause: e });
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as { ddconfig?: unknown }).ddconfig !== 'object')
    throw new VQTokenizerError('CONFIG', `expected an object with 'ddconfig' (taming's model params)`, { file });
  try {
    return makeConfig(raw as VQConfig);
  } catch (e) {
    if (e instanceof VQTokenizerError) throw new VQTokenizerError(e.code, e.detail, { ...e.context, file });
    throw e;
  }
}

/**
 * Load `config.json` + `model.safetensors` strictly: every parameter must be present and every
 * key used, except taming's `loss.*`. Errors list the keys and name the file.
 */
export async function loadPretrained(dir: string): Promise<VQTokenizer> {
  const config = await loadConfig(dir);
  const file = join(dir, WEIGHTS_FILE);
  const model = new VQTokenizer(config);
  let tensors;
  try {
    ({ tensors } = await loadSafetensors(file));
  } catch (e) {
    model.dispose();
    throw new VQTokenizerError('CHECKPOINT', `cannot read the weights (${e instanceof HealthGPTError ? e.detail : (e as Error).message})`, { file, cause: e });
  }
  try {
    model.loadStateDict(tensors, { strict: true, ignore: IGNORABLE_KEYS });
  } catch (e) {
    model.dispose();
    if (e instanceof StateDictError) throw new VQTokenizerError('STATE_DICT', e.detail, { file, cause: e });
    throw e;
  } finally {
    tensors.forEach((t) => t.dispose());
  }
  return model;
}

/** Write `config.json` and `model.safetensors` (each atomically) into `dir`. */
export async function savePretrained(model: VQTokenizer, dir: string): Promise<void> {
  await saveSafetensors(join(dir, WEIGHTS_FILE), model.stateDict(), { format: 'pt', producer: '@healthgpt/vq-tokenizer' });
  await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(model.config, null, 2) + '\n');
}
