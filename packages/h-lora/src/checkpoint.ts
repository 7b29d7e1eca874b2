import type { Module, Tensor, Generator, TensorInfo, FolderReader, FolderWriter } from '@healthgpt/tensor-core';
import { HLoraError, AdapterStateError } from './errors.js';
import { adaptedLayers, biasParameters, deleteAdapter, injectAdapters, linearLayers } from './inject.js';
import { PEFT_PREFIX, adapterStateDict, holders, loadAdapterStateDict } from './state_dict.js';
import type { BaseLayer } from './kinds/kind.js';
import { fromConfigJson, toConfigJson, type AdapterConfigJson, type AdapterSpec, type ConfigJsonOptions } from './adapter_config.js';
import { getAdapterKind } from './kinds/registry.js';
import { patternValue, targetMatcher } from './targets.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readAdapterFolder, writeAdapterFolder } from './adapter_folder.js';

export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE };

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The most frequent value (the first layer's on a tie). */
function mode(values: number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].reduce((best, cur) => (cur[1] > best[1] ? cur : best))[0];
}

/**
 * peft's `target_modules` for exactly these paths: the module names when they pick out exactly
 * these layers of `root`, else a regular expression over the whole paths.
 */
function targetModules(root: Module, paths: string[]): string[] | string {
  const names = [...new Set(paths.map((p) => p.split('.').pop()!))].sort();
  const match = targetMatcher({ targets: names, exclude: [] });
  const hit = linearLayers(root).map(([p]) => p).filter(match);
  const exact = hit.length === paths.length && hit.every((p) => paths.includes(p));
  return exact ? names : paths.map(escapeRegex).join('|');
}

/** adapter_config.json for adapter `name` as it is in `root`: per-layer ranks and alphas as exact-path patterns. */
function describeAdapter(root: Module, name: string, opts: ConfigJsonOptions): AdapterConfigJson {
  const layers = holders(root, name, 'saveAdapter');
  const infos = layers.map(([path, l]) => ({ path, ...l.adapterInfo(name) }));
  const { kind } = infos[0];
  const rest = (c: object) => JSON.stringify({ ...c, r: 0, loraAlpha: 0 });
  for (const i of infos)
    HLoraError.check(
      i.kind === kind && rest(i.config) === rest(infos[0].config),
      'ARGUMENT',
      `saveAdapter: adapter '${name}' has a different kind or config in '${i.path}' than in '${infos[0].path}' (beyond r and lora_alpha); one adapter_config.json cannot describe both`,
    );
  const r = mode(infos.map((i) => i.config.r));
  const loraAlpha = mode(infos.map((i) => i.config.loraAlpha));
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (const i of infos) {
    if (i.config.r !== r) rankPattern[escapeRegex(i.path)] = i.config.r;
    if (i.config.loraAlpha !== loraAlpha) alphaPattern[escapeRegex(i.path)] = i.config.loraAlpha;
  }
  const config = kind.resolve({ ...infos[0].config, r, loraAlpha });
  return toConfigJson(kind, config, targetModules(root, infos.map((i) => i.path)), opts, { rankPattern, alphaPattern, bias: biasMode(root, name) });
}

function biasMode(root: Module, name: string) {
  biasParameters(root, name); // throws when layers disagree
  return holders(root, name, 'saveAdapter')[0][1].adapterInfo(name).bias;
}

/**
 * Save adapter `name` in PEFT layout: `<dir>/adapter_config.json` and
 * `<dir>/adapter_model.safetensors` (keys `base_model.model.<path>.lora_A.weight`), as one
 * whole-folder save (a `FolderWriter` target stages both for its owner's commit: a task plugin
 * inside an assembled model's folder).
 * Layers whose r or lora_alpha differ from the most common one are written as `rank_pattern` /
 * `alpha_pattern` entries, and `target_modules` names exactly the adapted layers.
 */
export async function saveAdapter(root: Module, dir: string | FolderWriter, name: string, opts: ConfigJsonOptions = {}): Promise<AdapterConfigJson> {
  const json = describeAdapter(root, name, opts);
  await writeAdapterFolder(dir, json, adapterStateDict(root, name));
  return json;
}

export interface LoadAdapterOptions {
  /** The adapter name to load into (default `default`), e.g. a task. */
  name?: string;
  strict?: boolean;
  /** Generator for the initial values when the adapter has to be injected first. */
  gen?: Generator;
}

export interface LoadAdapterResult {
  name: string;
  kind: string;
  /** What adapter_config.json describes (kind, default config with the kind's settings, targets, patterns, bias). */
  spec: AdapterSpec;
  /** Layers the adapter was injected into by this call (empty when it already existed). */
  injected: string[];
  loaded: string[];
  missing: string[];
  unexpected: string[];
}

/**
 * Check, from the safetensors header alone, that the file holds as many numbers per layer as the
 * config's shapes need, so that a config promising a huge rank beside a small file is refused before
 * anything is allocated. Exact shapes are checked after injection.
 */
function checkSizes(root: Module, spec: AdapterSpec, header: Map<string, TensorInfo>, file: string, strict: boolean): void {
  const kind = getAdapterKind(spec.kind);
  const match = targetMatcher(spec);
  for (const [path, m] of linearLayers(root)) {
    if (!match(path)) continue;
    const r = patternValue(spec.rankPattern, path, 'rank_pattern');
    const loraAlpha = patternValue(spec.alphaPattern, path, 'alpha_pattern');
    const cfg = kind.resolve({ ...spec.config, ...(r !== undefined ? { r } : {}), ...(loraAlpha !== undefined ? { loraAlpha } : {}) });
    const layer = m as unknown as BaseLayer;
    const need = kind.numParameters(layer.inFeatures, layer.outFeatures, cfg, { path, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, weight: layer.weight, bias: layer.bias });
    const at = `${PEFT_PREFIX}${path}.`;
    let have = 0;
    for (const [key, info] of header) {
      const rest = key.startsWith(at) ? key.slice(at.length) : null;
      if (rest !== null && rest !== 'bias' && rest !== 'base_layer.bias') have += info.shape.reduce((a, b) => a * b, 1);
    }
    HLoraError.check(
      have === need || (!strict && have === 0),
      'CHECKPOINT',
      () => `layer '${path}': adapter_config.json (kind '${kind.name}', r ${cfg.r}) needs ${need} adapter numbers, the weights file holds ${have}; nothing was allocated`,
      { file, key: at.slice(0, -1) },
    );
  }
}

/**
 * Load a PEFT-layout adapter folder into `root` as adapter `name`. When no layer holds `name`
 * yet, it is injected first into the layers adapter_config.json targets (target_modules,
 * exclude_modules, layers_to_transform, rank_pattern, alpha_pattern, bias). The config is checked
 * (`fromConfigJson`) and the weights file's header against it before anything is allocated; a
 * failed load removes the adapter it injected and changes no bias.
 */
export async function loadAdapter(root: Module, dir: string | FolderReader, { name = 'default', strict = true, gen }: LoadAdapterOptions = {}): Promise<LoadAdapterResult> {
  const folder = await readAdapterFolder(dir);
  const cfgFile = folder.configFile;
  const spec = fromConfigJson(folder.json, cfgFile);
  const k = getAdapterKind(spec.kind);
  const existing = adaptedLayers(root).filter(([, l]) => l.adapterNames().includes(name));
  for (const [path, l] of existing)
    HLoraError.check(l.adapterInfo(name).kind === k, 'CHECKPOINT', () => `adapter '${name}' of '${path}' is of kind '${l.adapterInfo(name).kind.name}', the file holds '${spec.kind}'`, { file: cfgFile, path: 'adapter_kind' });
  const file = folder.weightsFile;
  const header = existing.length ? null : await folder.header();
  const { kind: _k, config, ...where } = spec;
  // What the config selects and allocates: errors name the config file (the weights file for sizes).
  const injected = inFile(cfgFile, () => {
    if (!header) return [];
    checkSizes(root, spec, header, file, strict);
    return injectAdapters(root, { ...where, kind: k, config, name, ...(gen ? { gen } : {}) });
  });
  // A failed load leaves the model as it was: an adapter injected for this load is removed again.
  const rollback = () => {
    if (injected.length) deleteAdapter(root, name);
  };
  let tensors: Map<string, Tensor>;
  try {
    tensors = await folder.tensors();
  } catch (e) {
    rollback();
    throw e;
  }
  try {
    const r = loadAdapterStateDict(root, name, tensors, { strict });
    return { name, kind: spec.kind, spec, injected, ...r };
  } catch (e) {
    rollback();
    if (e instanceof AdapterStateError) throw new AdapterStateError(e.missing, e.unexpected, e.mismatched, `adapter '${name}'`, { file });
    if (e instanceof HLoraError && e.file === undefined) throw new HLoraError(e.code, e.detail, { ...e.context, file });
    throw e;
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}

/** Run `fn`; an `HLoraError` that names no file is rethrown naming `file`. */
function inFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HLoraError && e.file === undefined) throw new HLoraError(e.code, e.detail, { ...e.context, file });
    throw e;
  }
}
