import { KVCache, type Generator, type Module, type Tensor, type LayerKV, type KVCacheLayer } from '@healthgpt/tensor-core';

/** How new layers draw their weights: `init: false` fills zeros (weights about to be loaded). */
export interface InitOptions {
  gen?: Generator;
  init?: boolean;
}

/** What a layer slot must offer: a tensor-core `Linear`, or an adapter that replaced it. */
export type LinearLike = Module & { forward(x: Tensor): Tensor };

/** One layer's cache: keys (after RoPE) and values, each `[B, kvHeads, T, headDim]` (tensor-core's `LayerKV`). */
export type LayerCache = LayerKV;

/** What a layer receives as its past and returns as its present: tensors, or one layer of a `KVCache` (written in place). */
export type LayerPast = LayerKV | KVCacheLayer;

/** The KV cache, one entry per layer. The caller owns it and disposes it (`disposeCache`). */
export type PastKeyValues = LayerCache[];

/** Dispose every tensor of a cache (no-op for `undefined` and for a tensor-core `KVCache`, which holds none). */
export function disposeCache(cache: PastKeyValues | KVCache | undefined | null): void {
  if (!cache || cache instanceof KVCache) return;
  for (const { keys, values } of cache) {
    keys.dispose();
    values.dispose();
  }
}

/** Positions held by a cache (its T), 0 for none. */
export function cacheLength(cache: PastKeyValues | KVCache | undefined | null): number {
  if (cache instanceof KVCache) return cache.length;
  return cache && cache.length ? cache[0].keys.shape[2]! : 0;
}

/** Bytes held by a cache's tensors. */
export function cacheBytes(cache: PastKeyValues | KVCache | undefined | null): number {
  if (!cache) return 0;
  if (cache instanceof KVCache) return cache.bytes;
  return cache.reduce((n, { keys, values }) => n + 4 * (keys.size + values.size), 0);
}
