import type { Module } from '@healthgpt/tensor-core';
import { HLoraError } from './errors.js';
import type { AdaptedLinear } from './adapted_linear.js';
import { adaptedLayers, unwrap } from './inject.js';

export interface MergeAndUnloadOptions {
  /** The adapters to fold in (default: every adapter in the model). The others are dropped with the wrappers. */
  adapters?: string[];
  /** Check each merged weight for NaN/Inf first (default true); a failure leaves the model as it was. */
  safe?: boolean;
}

/**
 * Fold adapters into the base weights and unwrap every adapted layer back to a plain Linear (peft's
 * `merge_and_unload`): the model then runs without h-lora at all. Every chosen adapter is merged
 * in each layer that holds it, in the order it was added to that layer (one already merged stays
 * merged); adapters not chosen are discarded. A routed or otherwise non-mergeable adapter (e.g.
 * `hlora`, whose gate depends on the input) is refused with `HLoraError` `NOT_MERGEABLE` naming the
 * layers and kinds, before anything changes. Returns the paths unwrapped.
 */
export function mergeAndUnload(root: Module, { adapters, safe = true }: MergeAndUnloadOptions = {}): string[] {
  const layers = adaptedLayers(root);
  HLoraError.check(layers.length > 0, 'NO_MATCH', `'mergeAndUnload': the module has no adapted layers`);
  const present = new Set(layers.flatMap(([, l]) => l.adapterNames()));
  const chosen = adapters ?? [...present];
  for (const a of chosen) HLoraError.check(present.has(a), 'UNKNOWN_ADAPTER', () => `'mergeAndUnload': no layer holds an adapter '${a}' (adapters: ${[...present].join(', ')})`);
  const refused = layers.flatMap(([path, l]) =>
    l
      .adapterNames()
      .filter((a) => chosen.includes(a) && !l.adapterInfo(a).kind.mergeable)
      .map((a) => `'${a}' (kind '${l.adapterInfo(a).kind.name}') in '${path}'`),
  );
  HLoraError.check(
    refused.length === 0,
    'NOT_MERGEABLE',
    () => `'mergeAndUnload' cannot fold ${refused.slice(0, 4).join(', ')}${refused.length > 4 ? `, … (${refused.length} in all)` : ''} into the base weights: routed kinds compute their update from the input; keep the layers wrapped, or pass 'adapters' without them`,
  );
  // Merge everywhere first; if one safe merge fails, undo this call's merges (the top of each
  // layer's merge stack) and leave the model as it was.
  const depth: [AdaptedLinear, number][] = [];
  try {
    for (const [, l] of layers) {
      const already = l.mergedAdapters();
      depth.push([l, already.length]);
      for (const a of l.adapterNames()) if (chosen.includes(a) && !already.includes(a)) l.merge(a, { safe });
    }
  } catch (e) {
    for (const [l, n] of depth) while (l.mergedAdapters().length > n) l.unmerge();
    throw e;
  }
  for (const [path, l] of layers) unwrap(root, path, l);
  return layers.map(([p]) => p);
}
