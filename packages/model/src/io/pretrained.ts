import { FolderReader, Int8Linear, withFolderWriter, writeWeights, readCheckpoint, planLoad, type FolderWriter, type Variable } from '@healthgpt/tensor-core';
import { clipImageProcessorConfig, saveImageProcessorConfig } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { adaptedLayers, saveAdapter, loadAdapter, readAdapterFolder, fromConfigJson } from '@healthgpt/h-lora';
import { HealthGPT } from '../model/healthgpt.js';
import { configToJson, parseHealthGPTConfig, type PluginSpec } from '../config/parse.js';
import { ModelError } from '../errors.js';
import { healthGPTSpec, toModelError } from './spec.js';
import { loadBaseWeights } from './base_weights.js';
import { readTokenizer, stageTokenizer } from './tokenizer_files.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
/** One PEFT-layout folder per task plugin: `plugins/<task>/adapter_config.json` + `adapter_model.safetensors`. */
export const PLUGINS_DIR = 'plugins';
/** The VQ image tokenizer's own folder (`config.json` + `model.safetensors`, taming's keys). */
export const VQ_DIR = 'vq';

export interface LoadOptions {
  /** Quantize every Linear layer to int8 weights after loading (inference; adapters stay float). */
  quantize?: 'int8';
  /** Refuse a config implying more base parameters than this (default: what this machine's memory holds as float32). */
  maxParameters?: number;
}

export interface SaveOptions {
  /** Split the base weights into shards of at most this many bytes (with an index), as HF does. */
  maxShardBytes?: number;
}

/** The base (non-adapter) parameters under our names: everything but the plugins' tensors. */
export function baseParameters(model: HealthGPT): Map<string, Variable> {
  const adapter = new Set<Variable>();
  for (const [, layer] of adaptedLayers(model)) for (const name of layer.adapterNames()) for (const v of layer.adapterState(name).values()) adapter.add(v);
  return new Map(model.namedParameters().filter(([, v]) => !adapter.has(v)));
}

/**
 * Write the model as one folder, whole, through tensor-core's `FolderWriter`: `config.json`
 * (model_type `healthgpt`, every sub-config), the base weights under the release's names
 * (`model.safetensors`, or shards + index), `plugins/<task>/` (PEFT layout, keys
 * `base_model.model.model.layers.{i}.….lora_A.weight`), `vq/`, `tokenizer.json` and
 * `preprocessor_config.json`. Everything is staged and committed at once: a kill at any instant
 * leaves the old folder or the new one, never a mix. With a `FolderWriter` (a bigger save) the
 * files are staged in it and its owner commits.
 */
export async function savePretrained(model: HealthGPT, target: string | FolderWriter, { maxShardBytes }: SaveOptions = {}): Promise<void> {
  const quantized = model.namedModules().find(([, m]) => m instanceof Int8Linear);
  ModelError.check(!quantized, 'QUANTIZED', () => `'savePretrained': '${quantized![0]}' holds int8 weights; save the float model (quantize at load instead)`, { key: quantized?.[0] });
  const config = model.config;
  try {
    await withFolderWriter(target, async (w) => {
      await w.json(CONFIG_FILE, configToJson(config));
      await writeWeights(w, baseParameters(model), { maxShardBytes, metadata: { format: 'pt', producer: '@healthgpt/model' } });
      for (const [task, spec] of config.tasks) if (spec.plugin) await saveAdapter(model, w.sub(`${PLUGINS_DIR}/${task}`), task);
      if (model.vq) await model.vq.savePretrained(w.sub(VQ_DIR));
      else for (const f of [CONFIG_FILE, WEIGHTS_FILE]) w.remove(`${VQ_DIR}/${f}`);
      await stageTokenizer(w, model.tokenizer);
      await saveImageProcessorConfig(w, clipImageProcessorConfig(config.vision.image_size));
    });
  } catch (e) {
    throw toModelError(e);
  }
}

const sameNumber = (a: number | undefined, b: number | undefined) => (a ?? 1) === (b ?? 1);

/** The plugin folder's adapter_config.json must describe the plugin config.json promises. */
async function checkPluginConfig(reader: FolderReader, task: string, spec: PluginSpec): Promise<void> {
  const folder = await readAdapterFolder(reader);
  const saved = fromConfigJson(folder.json, folder.configFile);
  const { config: c } = saved;
  const want = spec.config;
  const same = saved.kind === spec.kind && c.r === want.r && c.loraAlpha === want.loraAlpha && sameNumber(c.loraNums, want.loraNums) && (c.loraDropout ?? 0) === (want.loraDropout ?? 0);
  ModelError.check(same, 'CHECKPOINT', () => `plugin '${task}': adapter_config.json says ${saved.kind} r=${c.r} alpha=${c.loraAlpha} k=${c.loraNums ?? 1} dropout=${c.loraDropout ?? 0}, config.json says ${spec.kind} r=${want.r} alpha=${want.loraAlpha} k=${want.loraNums ?? 1} dropout=${want.loraDropout ?? 0}`, { file: folder.configFile });
}

/** One attempt at reading the folder's current version; the caller checks it did not change meanwhile. */
async function loadOnce(reader: FolderReader, { maxParameters }: LoadOptions): Promise<HealthGPT> {
  const configFile = reader.path(CONFIG_FILE);
  const config = { data: parseHealthGPTConfig(await reader.readJson(CONFIG_FILE), configFile) }; // a wrong field is a ModelError naming the file
  const ckpt = await readCheckpoint(reader);
  const plan = planLoad(healthGPTSpec, config.data, ckpt, { maxParameters, file: configFile }); // headers checked before anything is allocated
  for (const [task, spec] of config.data.tasks) if (spec.plugin) await checkPluginConfig(reader.sub(`${PLUGINS_DIR}/${task}`), task, spec.plugin);
  const tokenizer = await readTokenizer(reader);
  const model = new HealthGPT(config.data, { init: false, vq: null, tokenizer });
  try {
    for (const [task, spec] of config.data.tasks) if (spec.plugin) await loadAdapter(model, reader.sub(`${PLUGINS_DIR}/${task}`), { name: task, strict: true });
    await loadBaseWeights(baseParameters(model), ckpt, plan);
    if (config.data.vq) {
      model.vq = await VQTokenizer.fromPretrained(reader.sub(VQ_DIR));
      ModelError.check(JSON.stringify(model.vq.config) === JSON.stringify(config.data.vq), 'CHECKPOINT', `${VQ_DIR}/config.json differs from config.json's vq_config`, { file: reader.sub(VQ_DIR).path(CONFIG_FILE) });
    }
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * Load a folder written by `savePretrained` through tensor-core's `FolderReader`, strictly: the
 * config, the base weights' headers (checked against the config's key map before anything is
 * allocated), each task's plugin folder, `vq/` and the tokenizer all from one version of the
 * folder (a save committing meanwhile makes a path source read again). A failed load disposes
 * whatever it had built; errors are typed and name the file and key.
 */
export async function fromPretrained(source: string | FolderReader, options: LoadOptions = {}): Promise<HealthGPT> {
  try {
    for (let attempt = 0; ; attempt++) {
      const reader = typeof source === 'string' ? await FolderReader.open(source) : source;
      const model = await loadOnce(reader, options);
      if (!(await reader.unchanged())) {
        model.dispose();
        ModelError.check(typeof source === 'string' && attempt < 2, 'CHECKPOINT', 'a save replaced the folder while it was being loaded; load again', { file: reader.dir });
        continue;
      }
      if (options.quantize) model.quantize(options.quantize);
      return model;
    }
  } catch (e) {
    throw toModelError(e);
  }
}
