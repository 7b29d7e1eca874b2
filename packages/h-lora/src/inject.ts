import { Linear, Module, type Generator } from '@healthgpt/tensor-core';
import { HLoraError } from './errors.js';
import { AdaptedLinear } from './adapted_linear.js';
import type { AdapterConfig, AdapterKind } from './kinds/kind.js';
import { getAdapterKind } from './kinds/registry.js';

/** Which layers to adapt: module-name suffixes (peft's `target_modules`), a pattern, or a predicate on the dotted path. */
export type TargetSpec = string[] | RegExp | ((path: string) => boolean);

export interface InjectOptions {
  /** Layers to wrap, matched against each Linear's dotted path. */
  targets: TargetSpec;
  /** A registered kind name (`lora`, `moe-lora`, `hlora`, …) or a kind object. */
  kind: string | AdapterKind;
  config: AdapterConfig;
  /** Adapter name, e.g. a task (`comprehension`, `generation`). Default `default`. */
  name?: string;
  /** Paths never wrapped even when they match (default `['lm_head']`, as suffixes). */
  exclude?: string[];
  /** Generator for the initial values. */
  gen?: Generator;
}

/** True when `path` is `t` or ends in `.t` (peft's suffix rule). */
const suffixMatch = (path: string, t: string) => path === t || path.endsWith(`.${t}`);

function matcher(targets: TargetSpec): (path: string) => boolean {
  if (Array.isArray(targets)) {
    if (!targets.length || targets.some((t) => typeof t !== 'string' || !t))
      throw new HLoraError('ARGUMENT', `'targets' passed to 'injectAdapters' must be a non-empty list of module names`);
    return (p) => targets.some((t) => suffixMatch(p, t));
  }
  if (targets instanceof RegExp) return (p) => targets.test(p);
  if (typeof targets === 'function') return targets;
  throw new HLoraError('ARGUMENT', `'targets' passed to 'injectAdapters' must be a list of names, a RegExp or a function`);
}

/** Every adapted layer below `root`, with its dotted path. */
export function adaptedLayers(root: Module): [string, AdaptedLinear][] {
  return root.namedModules().filter((e): e is [string, AdaptedLinear] => e[1] instanceof AdaptedLinear);
}

/**
 * Add adapter `name` to every Linear of `root` whose dotted path matches `targets` (lm_head
 * excluded by default): a plain Linear is replaced in place by an `AdaptedLinear` (through
 * `setSubmodule`, so its parent's forward runs the wrapper); an already adapted layer gets one
 * more named adapter. Returns the paths adapted; throws when nothing matches.
 */
export function injectAdapters(root: Module, { targets, kind, config, name = 'default', exclude = ['lm_head'], gen }: InjectOptions): string[] {
  const match = matcher(targets);
  const k = typeof kind === 'string' ? getAdapterKind(kind) : kind;
  k.resolve(config); // fail on a bad config before touching any layer
  const bases = new Set<Module>(adaptedLayers(root).map(([, l]) => l.base)); // already wrapped: reached through their wrapper
  const candidates = root.namedModules().filter(([p, m]) => p !== '' && !bases.has(m) && (m instanceof Linear || m instanceof AdaptedLinear));
  const chosen = candidates.filter(([p]) => match(p) && !exclude.some((e) => suffixMatch(p, e)));
  if (!chosen.length) {
    const names = candidates.map(([p]) => p);
    const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, … (${names.length} in all)` : names.join(', ') || 'none';
    throw new HLoraError('NO_MATCH', `injectAdapters: no Linear layer matches targets ${describe(targets)} (excluding ${exclude.join(', ') || 'nothing'}); Linear layers: ${shown}`);
  }
  for (const [path, m] of chosen) {
    HLoraError.check(!(m instanceof AdaptedLinear && m.adapterNames().includes(name)), 'ARGUMENT', `injectAdapters: layer '${path}' already has an adapter '${name}'`);
  }
  for (const [path, m] of chosen) {
    const layer = m instanceof AdaptedLinear ? m : new AdaptedLinear(m as Linear, path);
    if (layer !== m) root.setSubmodule(path, layer);
    layer.addAdapter(name, k, config, gen ? { gen } : {});
  }
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
    if (layer.adapterNames().length) continue;
    const base = layer.deleteSubmodule('base_layer') as Linear;
    root.setSubmodule(path, base);
    layer.dispose(); // what is left: empty containers and dropout modules, no tensors of the base
  }
  return holders.map(([p]) => p);
}

function describe(t: TargetSpec): string {
  return Array.isArray(t) ? `[${t.join(', ')}]` : t instanceof RegExp ? String(t) : '(predicate)';
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
 * Freeze everything below `root` except adapter `name`'s parameters; returns the names left
 * trainable (dotted, from `root`).
 */
export function markOnlyAdapterTrainable(root: Module, name: string): string[] {
  const wanted = new Set<string>();
  const holders = requireLayers(root, 'markOnlyAdapterTrainable').filter(([, l]) => l.adapterNames().includes(name));
  HLoraError.check(holders.length > 0, 'UNKNOWN_ADAPTER', `'markOnlyAdapterTrainable': no layer holds an adapter '${name}'`);
  for (const [path, l] of holders) for (const rel of l.adapterParameterNames(name)) wanted.add(path ? `${path}.${rel}` : rel);
  root.setTrainable(false);
  return root.setTrainableWhere((n) => wanted.has(n), true);
}

function requireLayers(root: Module, op: string): [string, AdaptedLinear][] {
  const layers = adaptedLayers(root);
  HLoraError.check(layers.length > 0, 'NO_MATCH', `'${op}': the module has no adapted layers (call injectAdapters first)`);
  return layers;
}
