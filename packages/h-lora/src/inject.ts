import { isLinear, type Generator, type Linear, type Module } from '@healthgpt/tensor-core';
import { HLoraError } from './errors.js';
import { AdaptedLinear, isAdaptedLinear, type BiasMode } from './adapted_linear.js';
import type { AdapterConfig, AdapterKind } from './kinds/kind.js';
import { getAdapterKind } from './kinds/registry.js';
import { describeTargets, patternValue, targetMatcher, type TargetSpec } from './targets.js';

/**
 * The settings type of each registered kind, by name, so that `injectAdapters({ kind: 'ia3',
 * config })` checks the kind's own fields. A package that registers a kind adds it by declaration
 * merging: `declare module '@healthgpt/h-lora' { interface AdapterKindSettings { ia3: Ia3Settings } }`.
 */
export interface AdapterKindSettings {
  lora: object;
  dora: object;
  'moe-lora': object;
  hlora: object;
}

/** A kind by registered name or as the kind object itself. */
export type KindRef = string | AdapterKind<object>;

/**
 * The settings type of a kind reference: from the kind object; from `AdapterKindSettings` by name;
 * open (any extra field) for a name no one declared; none for a name only known as `string`.
 */
export type SettingsOf<K> = K extends AdapterKind<infer S> ? S : K extends keyof AdapterKindSettings ? AdapterKindSettings[K] : string extends K ? object : Record<string, unknown>;

/** The config `injectAdapters` takes for kind `K`: peft's fields plus the kind's own settings. */
export type ConfigFor<K> = AdapterConfig & Partial<SettingsOf<K>>;

export interface InjectOptions<K extends KindRef = KindRef> {
  /** Layers to wrap, matched against each Linear's dotted path (see `TargetSpec`). */
  targets: TargetSpec;
  /** A registered kind name (`lora`, `dora`, `moe-lora`, `hlora`, …) or a kind object. */
  kind: K;
  config: ConfigFor<K>;
  /** Adapter name, e.g. a task (`comprehension`, `generation`). Default `default`. */
  name?: string;
  /** Paths never wrapped even when they match (peft's `exclude_modules`; default `['lm_head']`). */
  exclude?: string[] | RegExp;
  /** peft's `layers_to_transform`: only these layer indices (with a list of names as `targets`). */
  layersToTransform?: number | number[];
  /** peft's `layers_pattern`: the layer list whose index is read (`layers`, `h`, …). */
  layersPattern?: string | string[];
  /** peft's `rank_pattern`: `r` for the layers whose path ends in a key (a name or a regex), e.g. `{ o_proj: 16 }`. */
  rankPattern?: Record<string, number>;
  /** peft's `alpha_pattern`: `loraAlpha` by the same matching. */
  alphaPattern?: Record<string, number>;
  /** peft's `bias`: `none` (default), `lora_only` (the adapted layers' biases train and save with the adapter) or `all` (every bias). */
  bias?: BiasMode;
  /** Generator for the initial values. */
  gen?: Generator;
}

/** Every adapted layer below `root`, with its dotted path. */
export function adaptedLayers(root: Module): [string, AdaptedLinear][] {
  return root.namedModules().filter((e): e is [string, AdaptedLinear] => isAdaptedLinear(e[1]));
}

/** The Linear layers `injectAdapters` may wrap (plain or already adapted), by path. */
export function linearLayers(root: Module): [string, Module][] {
  const bases = new Set<Module>(adaptedLayers(root).map(([, l]) => l.base)); // already wrapped: reached through their wrapper
  return root.namedModules().filter(([p, m]) => p !== '' && !bases.has(m) && (isLinear(m) || isAdaptedLinear(m)));
}

/**
 * Add adapter `name` to every Linear of `root` whose dotted path matches `targets` (lm_head
 * excluded by default): a plain Linear is replaced in place by an `AdaptedLinear` (through
 * `setSubmodule`, so its parent's forward runs the wrapper); an already adapted layer gets one
 * more named adapter. `rankPattern` / `alphaPattern` give some layers their own `r` / `loraAlpha`.
 * Every layer's config is checked before any layer changes. Returns the paths adapted; throws
 * `HLoraError` `NO_MATCH` listing the Linear layers when nothing matches.
 */
export function injectAdapters<K extends KindRef>(root: Module, opts: InjectOptions<K>): string[] {
  const { targets, config, name = 'default', exclude = ['lm_head'], layersToTransform, layersPattern, rankPattern, alphaPattern, bias = 'none', gen } = opts;
  const k = (typeof opts.kind === 'string' ? getAdapterKind(opts.kind) : opts.kind) as AdapterKind;
  const match = targetMatcher({ targets, exclude, layersToTransform, layersPattern });
  const all = linearLayers(root);
  const chosen = all.filter(([p]) => match(p));
  if (!chosen.length) {
    const names = all.map(([p]) => p);
    const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, … (${names.length} in all)` : names.join(', ') || 'none';
    const ex = exclude instanceof RegExp ? String(exclude) : exclude.join(', ') || 'nothing';
    throw new HLoraError('NO_MATCH', `injectAdapters: no Linear layer matches targets ${describeTargets(targets)} (excluding ${ex}); Linear layers: ${shown}`);
  }
  // Each layer's config, checked for every layer before any is touched.
  const configs = chosen.map(([path, m]) => {
    HLoraError.check(!(isAdaptedLinear(m) && m.adapterNames().includes(name)), 'ARGUMENT', `injectAdapters: layer '${path}' already has an adapter '${name}'`);
    const r = patternValue(rankPattern, path, 'rankPattern');
    const loraAlpha = patternValue(alphaPattern, path, 'alphaPattern');
    const c: AdapterConfig = { ...config, ...(r !== undefined ? { r } : {}), ...(loraAlpha !== undefined ? { loraAlpha } : {}) };
    try {
      k.resolve(c);
    } catch (e) {
      if (e instanceof HLoraError && (r !== undefined || loraAlpha !== undefined)) throw new HLoraError(e.code, `${e.detail} (layer '${path}', from rankPattern / alphaPattern)`, e.context);
      throw e;
    }
    return c;
  });
  chosen.forEach(([path, m], i) => {
    const layer = isAdaptedLinear(m) ? m : new AdaptedLinear(m as Linear, path);
    if (layer !== m) root.setSubmodule(path, layer);
    layer.addAdapter(name, k, configs[i], { bias, ...(gen ? { gen } : {}) });
  });
  return chosen.map(([p]) => p);
}

/**
 * Remove adapter `name` from every layer below `root` that holds it; a layer left without
 * adapters is unwrapped back to its plain Linear. Returns the paths it was removed from.
 */
export function deleteAdapter(root: Module, name: string): string[] {
  const holders = adaptedLayers(root).filter(([, l]) => l.adapterNames().includes(name));
  HLoraError.check(holders.length > 0, 'UNKNOWN_ADAPTER', `'deleteAdapter': no layer holds an adapter '${name}'`);
  for (const [path, layer] of holders) {
    layer.deleteAdapter(name);
    if (!layer.adapterNames().length) unwrap(root, path, layer);
  }
  return holders.map(([p]) => p);
}

/** Put the wrapped Linear back at `path` and dispose what is left of the wrapper (adapter tensors, dropout modules). */
export function unwrap(root: Module, path: string, layer: AdaptedLinear): void {
  const base = layer.deleteSubmodule('base_layer') as Linear;
  root.setSubmodule(path, base);
  layer.dispose();
}

/** Make adapter `name` active in every adapted layer below `root` (switching task plugins). */
export function setActiveAdapter(root: Module, name: string): void {
  const layers = requireLayers(root, 'setActiveAdapter');
  for (const [, l] of layers) l.setActive(name);
}

/** Bypass every adapter below `root` (forward gives the base model). */
export function disableAdapters(root: Module): void {
  for (const [, l] of requireLayers(root, 'disableAdapters')) l.disable();
}

export function enableAdapters(root: Module): void {
  for (const [, l] of requireLayers(root, 'enableAdapters')) l.enable();
}

/**
 * Freeze everything below `root` except adapter `name`'s parameters and the biases its `bias`
 * setting trains (peft's `mark_only_lora_as_trainable`: `lora_only` the adapted layers' biases,
 * `all` every parameter whose name contains `bias`); returns the names left trainable (dotted,
 * from `root`).
 */
export function markOnlyAdapterTrainable(root: Module, name: string): string[] {
  const wanted = new Set<string>();
  const holders = requireLayers(root, 'markOnlyAdapterTrainable').filter(([, l]) => l.adapterNames().includes(name));
  HLoraError.check(holders.length > 0, 'UNKNOWN_ADAPTER', `'markOnlyAdapterTrainable': no layer holds an adapter '${name}'`);
  for (const [path, l] of holders) for (const rel of l.adapterParameterNames(name)) wanted.add(path ? `${path}.${rel}` : rel);
  for (const key of biasParameters(root, name).keys()) wanted.add(key);
  root.setTrainable(false);
  return root.setTrainableWhere((n) => wanted.has(n), true);
}

/**
 * The base biases adapter `name` trains and saves, by parameter name from `root` (peft's `bias`):
 * none for `none`; the adapted layers' `bias` for `lora_only`; every parameter whose name contains
 * `bias` and is not an adapter tensor for `all`.
 */
export function biasParameters(root: Module, name: string): Map<string, { layer: AdaptedLinear | null; path: string }> {
  const holders = adaptedLayers(root).filter(([, l]) => l.adapterNames().includes(name));
  const modes = new Set(holders.map(([, l]) => l.adapterInfo(name).bias));
  HLoraError.check(modes.size <= 1, 'ARGUMENT', () => `adapter '${name}' has different bias settings on different layers (${[...modes].join(', ')})`);
  const mode = [...modes][0] ?? 'none';
  const out = new Map<string, { layer: AdaptedLinear | null; path: string }>();
  if (mode === 'lora_only') {
    for (const [path, l] of holders) if (l.bias) out.set(path ? `${path}.bias` : 'bias', { layer: l, path });
  } else if (mode === 'all') {
    const adapted = new Map(adaptedLayers(root).map(([p, l]) => [p ? `${p}.bias` : 'bias', { layer: l, path: p }]));
    const adapterTensors = new Set(adaptedLayers(root).flatMap(([p, l]) => l.adapterNames().flatMap((a) => l.adapterParameterNames(a).map((n) => (p ? `${p}.${n}` : n)))));
    for (const [key] of root.namedParameters()) {
      if (!key.includes('bias') || adapterTensors.has(key)) continue;
      out.set(key, adapted.get(key) ?? { layer: null, path: key.slice(0, Math.max(0, key.lastIndexOf('.'))) });
    }
  }
  return out;
}

function requireLayers(root: Module, op: string): [string, AdaptedLinear][] {
  const layers = adaptedLayers(root);
  HLoraError.check(layers.length > 0, 'NO_MATCH', `'${op}': the module has no adapted layers (call injectAdapters first)`);
  return layers;
}
