import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors, writeFileAtomic, type Module, type Tensor, type Generator } from '@healthgpt/tensor-core';
import { HLoraError, AdapterStateError } from './errors.js';
import { adaptedLayers, deleteAdapter, injectAdapters } from './inject.js';
import type { AdaptedLinear } from './adapted_linear.js';
import { fromConfigJson, toConfigJson, type AdapterConfigJson, type ConfigJsonOptions } from './adapter_config.js';
import { getAdapterKind } from './kinds/registry.js';
import type { AdapterConfig } from './kinds/kind.js';

/** The prefix peft puts before module paths in saved adapters (PeftModel → LoraModel → model). */
export const PEFT_PREFIX = 'base_model.model.';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

interface Slot {
  layer: AdaptedLinear;
  rel: string;
  shape: number[];
}

function holders(root: Module, name: string, op: string): [string, AdaptedLinear][] {
  const layers = adaptedLayers(root).filter(([, l]) => l.adapterNames().includes(name));
  HLoraError.check(layers.length > 0, 'UNKNOWN_ADAPTER', `'${op}': no layer holds an adapter '${name}'`);
  return layers;
}

function slots(root: Module, name: string, prefix: string, op: string): Map<string, Slot> {
  const out = new Map<string, Slot>();
  for (const [path, layer] of holders(root, name, op))
    for (const [rel, v] of layer.adapterState(name)) out.set(`${prefix}${path ? `${path}.` : ''}${rel}`, { layer, rel, shape: v.shape });
  return out;
}

/**
 * Adapter `name`'s tensors under their saved names, the adapter name stripped:
 * `base_model.model.<path>.lora_A.weight`. The tensors are the live variables (do not dispose).
 */
export function adapterStateDict(root: Module, name: string, { prefix = PEFT_PREFIX }: { prefix?: string } = {}): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [path, layer] of holders(root, name, 'adapterStateDict'))
    for (const [rel, v] of layer.adapterState(name)) out.set(`${prefix}${path ? `${path}.` : ''}${rel}`, v);
  return out;
}

export interface LoadAdapterStateOptions {
  prefix?: string;
  /** Throw an `AdapterStateError` listing missing and unexpected keys (default true). Shape mismatches always throw. */
  strict?: boolean;
  /** Keys that may be present without being adapter tensors (exact names or patterns). */
  ignore?: (string | RegExp)[];
}

/** Copy saved-name tensors (as `adapterStateDict` names them) into adapter `name`; returns what matched and what did not. */
export function loadAdapterStateDict(
  root: Module,
  name: string,
  tensors: Map<string, Tensor>,
  { prefix = PEFT_PREFIX, strict = true, ignore = [] }: LoadAdapterStateOptions = {},
): { loaded: string[]; missing: string[]; unexpected: string[] } {
  const want = slots(root, name, prefix, 'loadAdapterStateDict');
  const ignored = (k: string) => ignore.some((p) => (typeof p === 'string' ? p === k : p.test(k)));
  const missing = [...want.keys()].filter((k) => !tensors.has(k));
  const unexpected = [...tensors.keys()].filter((k) => !want.has(k) && !ignored(k));
  const mismatched = [...tensors]
    .filter(([k, t]) => want.has(k) && want.get(k)!.shape.join() !== t.shape.join())
    .map(([k, t]) => ({ key: k, expected: want.get(k)!.shape, actual: t.shape }));
  if (mismatched.length || (strict && (missing.length || unexpected.length)))
    throw new AdapterStateError(strict ? missing : [], strict ? unexpected : [], mismatched, `loading adapter '${name}'`);
  const perLayer = new Map<AdaptedLinear, Map<string, Tensor>>();
  const loaded: string[] = [];
  for (const [k, t] of tensors) {
    const s = want.get(k);
    if (!s) continue;
    if (!perLayer.has(s.layer)) perLayer.set(s.layer, new Map());
    perLayer.get(s.layer)!.set(s.rel, t);
    loaded.push(k);
  }
  for (const [layer, m] of perLayer) layer.loadAdapterState(name, m, { strict: false });
  return { loaded, missing, unexpected };
}

/** Module names to write as peft's `target_modules`: the last segment of each adapted path. */
function targetModules(paths: string[]): string[] {
  return [...new Set(paths.map((p) => p.split('.').pop()!))].sort();
}

/**
 * Save adapter `name` in PEFT layout: `<dir>/adapter_config.json` and
 * `<dir>/adapter_model.safetensors` (keys `base_model.model.<path>.lora_A.weight`), both atomically.
 */
export async function saveAdapter(root: Module, dir: string, name: string, opts: ConfigJsonOptions = {}): Promise<AdapterConfigJson> {
  const layers = holders(root, name, 'saveAdapter');
  const { kind, config } = layers[0][1].adapterInfo(name);
  for (const [path, l] of layers) {
    const i = l.adapterInfo(name);
    if (i.kind !== kind || JSON.stringify(i.config) !== JSON.stringify(config))
      throw new HLoraError('ARGUMENT', `saveAdapter: adapter '${name}' has a different kind or config in '${path}' than in '${layers[0][0]}'; one adapter_config.json cannot describe both`);
  }
  const json = toConfigJson(kind, config, targetModules(layers.map(([p]) => p)), opts);
  await saveSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), adapterStateDict(root, name), { format: 'pt' });
  await writeFileAtomic(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify(json, null, 2) + '\n');
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
  config: AdapterConfig;
  /** Layers the adapter was injected into by this call (empty when it already existed). */
  injected: string[];
  loaded: string[];
  missing: string[];
  unexpected: string[];
}

/**
 * Load a PEFT-layout adapter folder into `root` as adapter `name`. When no layer holds `name`
 * yet, it is injected first into the layers the config's `target_modules` name.
 */
export async function loadAdapter(root: Module, dir: string, { name = 'default', strict = true, gen }: LoadAdapterOptions = {}): Promise<LoadAdapterResult> {
  const cfgFile = join(dir, ADAPTER_CONFIG_FILE);
  let raw: string;
  try {
    raw = await readFile(cfgFile, 'utf8');
  } catch (e) {
    throw new HLoraError('CHECKPOINT', `cannot read the adapter config (${(e as Error).message})`, { file: cfgFile, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new HLoraError('CHECKPOINT', `the adapter config is not valid JSON (${(e as Error).message})`, { file: cfgFile, cause: e });
  }
  const { kind, config, targetModules: targets } = fromConfigJson(json, cfgFile);
  const k = getAdapterKind(kind);
  const existing = adaptedLayers(root).filter(([, l]) => l.adapterNames().includes(name));
  for (const [path, l] of existing)
    HLoraError.check(l.adapterInfo(name).kind === k, 'CHECKPOINT', () => `adapter '${name}' of '${path}' is of kind '${l.adapterInfo(name).kind.name}', the file holds '${kind}'`, { file: cfgFile, path: 'adapter_kind' });
  const injected = existing.length ? [] : injectAdapters(root, { targets, kind: k, config, name, ...(gen ? { gen } : {}) });
  const file = join(dir, ADAPTER_WEIGHTS_FILE);
  // A failed load leaves the model as it was: an adapter injected for this load is removed again.
  const rollback = () => {
    if (injected.length) deleteAdapter(root, name);
  };
  let tensors: Map<string, Tensor>;
  try {
    ({ tensors } = await loadSafetensors(file));
  } catch (e) {
    rollback();
    throw e;
  }
  try {
    const r = loadAdapterStateDict(root, name, tensors, { strict });
    return { name, kind, config, injected, ...r };
  } catch (e) {
    rollback();
    if (e instanceof AdapterStateError) throw new AdapterStateError(e.missing, e.unexpected, e.mismatched, `adapter '${name}'`, { file });
    throw e;
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}
