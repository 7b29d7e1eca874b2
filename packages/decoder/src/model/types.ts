import type { Generator, Module, Tensor, LayerKV } from '@healthgpt/tensor-core';

/** How new layers draw their weights: `init: false` fills zeros (weights about to be loaded). */
export interface InitOptions {
  gen?: Generator;
  init?: boolean;
}

/** What a layer slot must offer: a tensor-core `Linear`, or an adapter that replaced it. */
export type LinearLike = Module & { forward(x: Tensor): Tensor };

/** One layer's cache: keys (after RoPE) and values, each `[B, kvHeads, T, headDim]` (tensor-core's `LayerKV`). */
export type LayerCache = LayerKV;

/** The KV cache, one entry per layer. The caller owns it and disposes it (`disposeCache`). */
export type PastKeyValues = LayerCache[];

/** Dispose every tensor of a cache (no-op for `undefined`). */
export function disposeCache(cache: PastKeyValues | undefined | null): void {
  if (!cache) return;
  for (const { keys, values } of cache) {
    keys.dispose();
    values.dispose();
  }
}

/** Positions held by a cache (its T), 0 for none. */
export function cacheLength(cache: PastKeyValues | undefined | null): number {
  return cache && cache.length ? cache[0].keys.shape[2]! : 0;
}

/** Bytes held by a cache's tensors. */
export function cacheBytes(cache: PastKeyValues | undefined | null): number {
  if (!cache) return 0;
  return cache.reduce((n, { keys, values }) => n + 4 * (keys.size + values.size), 0);
}
