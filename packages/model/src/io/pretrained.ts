import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors, writeFileAtomic, parseJsonText, Int8Linear, type HealthGPTError, type Tensor, type Variable } from '@healthgpt/tensor-core';
import { HFTokenizer } from '@healthgpt/decoder';
import { clipImageProcessorConfig, saveImageProcessorConfig } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { adaptedLayers, saveAdapter, loadAdapter, fromConfigJson, ADAPTER_CONFIG_FILE } from '@healthgpt/h-lora';
import { HealthGPT } from '../model/healthgpt.js';
import { parseHealthGPTConfig, configToJson, type PluginSpec } from '../config/parse.js';
import { ModelError } from '../errors.js';
import { writeFolderWhole } from './whole_folder.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
/** One PEFT-layout folder per task plugin: `plugins/<task>/adapter_config.json` + `adapter_model.safetensors`. */
export const PLUGINS_DIR = 'plugins';
/** The VQ image tokenizer's own folder (`config.json` + `model.safetensors`, taming's keys). */
export const VQ_DIR = 'vq';

export interface LoadOptions {
  /** Quantize every Linear layer to int8 weights after loading (inference; adapters stay float). */
  quantize?: 'int8';
}

/** The base (non-adapter) parameters under our names: everything but the plugins' tensors. */
export function baseParameters(model: HealthGPT): Map<string, Variable> {
  const adapter = new Set<Variable>();
  for (const [, layer] of adaptedLayers(model)) for (const name of layer.adapterNames()) for (const v of layer.adapterState(name).values()) adapter.add(v);
  return new Map(model.namedParameters().filter(([, v]) => !adapter.has(v)));
}

/**
 * Write the model as one folder, whole (config and weights always from the same save):
 * `config.json` (model_type `healthgpt`, every sub-config), `model.safetensors` (base weights
 * under the release's names), `plugins/<task>/` (PEFT layout, keys
 * `base_model.model.model.layers.{i}.….lora_A.weight`), `vq/`, `tokenizer.json` and
 * `preprocessor_config.json`.
 */
export async function savePretrained(model: HealthGPT, dir: string): Promise<void> {
  const quantized = model.namedModules().find(([, m]) => m instanceof Int8Linear);
  ModelError.check(!quantized, 'QUANTIZED', () => `'savePretrained': '${quantized![0]}' holds int8 weights; save the float model (quantize at load instead)`, { key: quantized?.[0] });
  const config = model.config;
  await writeFolderWhole(dir, async (tmp) => {
    await saveSafetensors(join(tmp, WEIGHTS_FILE), baseParameters(model), { format: 'pt', producer: '@healthgpt/model' });
    for (const [task, spec] of config.tasks) if (spec.plugin) await saveAdapter(model, join(tmp, PLUGINS_DIR, task), task);
    if (model.vq) await model.vq.savePretrained(join(tmp, VQ_DIR));
    if (model.tokenizer) await model.tokenizer.save(tmp);
    await saveImageProcessorConfig(tmp, clipImageProcessorConfig(config.vision.image_size));
    await writeFileAtomic(join(tmp, CONFIG_FILE), JSON.stringify(configToJson(config), null, 2) + '\n');
  });
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ModelError('CHECKPOINT', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file, cause: e });
  }
  try {
    return parseJsonText(text, file); // a leading byte-order mark is fine; the error names line and column
  } catch (e) {
    throw new ModelError('CHECKPOINT', (e as HealthGPTError).detail, { ...(e as HealthGPTError).context, cause: e });
  }
}

const sameNumber = (a: number | undefined, b: number | undefined) => (a ?? 1) === (b ?? 1);

/** The plugin folder's adapter_config.json must describe the plugin config.json promises. */
async function checkPluginConfig(dir: string, task: string, spec: PluginSpec): Promise<void> {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  const saved = fromConfigJson(await readJson(file), file);
  const { config: c } = saved;
  const want = spec.config;
  const same = saved.kind === spec.kind && c.r === want.r && c.loraAlpha === want.loraAlpha && sameNumber(c.loraNums, want.loraNums) && (c.loraDropout ?? 0) === (want.loraDropout ?? 0);
  ModelError.check(same, 'CHECKPOINT', () => `plugin '${task}': adapter_config.json says ${saved.kind} r=${c.r} alpha=${c.loraAlpha} k=${c.loraNums ?? 1} dropout=${c.loraDropout ?? 0}, config.json says ${spec.kind} r=${want.r} alpha=${want.loraAlpha} k=${want.loraNums ?? 1} dropout=${want.loraDropout ?? 0}`, { file });
}

/** Copy the base weights strictly: every base parameter present, every key a base parameter. */
function loadBaseWeights(model: HealthGPT, tensors: Map<string, Tensor>, file: string): void {
  const want = baseParameters(model);
  const missing = [...want.keys()].filter((k) => !tensors.has(k));
  const unexpected = [...tensors.keys()].filter((k) => !want.has(k));
  const list = (xs: string[]) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? `, … (${xs.length} in all)` : '');
  ModelError.check(!missing.length && !unexpected.length, 'CHECKPOINT', () => `the weights do not match config.json${missing.length ? `; missing: ${list(missing)}` : ''}${unexpected.length ? `; unexpected: ${list(unexpected)}` : ''}`, { file, key: missing[0] ?? unexpected[0] });
  model.loadStateDict(tensors, { strict: false });
}

/** Load a folder written by `savePretrained`; a failed load disposes whatever it had built. */
export async function fromPretrained(dir: string, { quantize }: LoadOptions = {}): Promise<HealthGPT> {
  const cfgFile = join(dir, CONFIG_FILE);
  const config = parseHealthGPTConfig(await readJson(cfgFile), cfgFile);
  const model = new HealthGPT(config, { init: false, vq: null });
  try {
    for (const [task, spec] of config.tasks) {
      if (!spec.plugin) continue;
      const pluginDir = join(dir, PLUGINS_DIR, task);
      await checkPluginConfig(pluginDir, task, spec.plugin);
      await loadAdapter(model, pluginDir, { name: task, strict: true });
    }
    const weights = join(dir, WEIGHTS_FILE);
    const { tensors } = await loadSafetensors(weights);
    try {
      loadBaseWeights(model, tensors, weights);
    } finally {
      tensors.forEach((t) => t.dispose());
    }
    if (config.vq) {
      model.vq = await VQTokenizer.fromPretrained(join(dir, VQ_DIR));
      ModelError.check(JSON.stringify(model.vq.config) === JSON.stringify(config.vq), 'CHECKPOINT', `${VQ_DIR}/config.json differs from config.json's vq_config`, { file: join(dir, VQ_DIR, CONFIG_FILE) });
    }
    if (existsSync(join(dir, 'tokenizer.json'))) model.tokenizer = await HFTokenizer.fromFile(dir);
    if (quantize) model.quantize(quantize);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}
