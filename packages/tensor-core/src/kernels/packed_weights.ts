/**
 * XNNPACK fully-connected operators for matrices used as the right operand `b` of a matmul (a
 * Linear layer's weight W [out, in] in `x·Wᵀ`, or a [K, N] matrix in `x·W`), kept for as long
 * as the tensor data lives.
 *
 * tfjs-backend-wasm 4.22 exposes XNNPACK's fully-connected operator only through `_BatchMatMul`
 * with untransposed operands: it packs b [K, N] into an operator on first use and caches the
 * operator under b's tensor id until that id is disposed. For `b` transposed (W [N, K]), the
 * matrix is transposed once into a temporary, the operator is packed from it, and the temporary
 * is freed at once: the operator holds its own packed copy and never reads b's memory again. So
 * a weight costs one transpose and one packing per value, not per call (decoding used to
 * transpose and repack a [16384, 512] head on every token).
 *
 * Entries are keyed by data id *and* (K, N, transposed): a reshape shares its source's data, and
 * an operator packed for one shape must not serve another. They are dropped when the backend frees
 * the data (its `disposeData` is wrapped once per backend). Tensor data is immutable in tfjs
 * (a Variable's `assign` swaps in new data), so a cached operator never goes stale; code that
 * writes into a tensor's heap memory in place must call `forgetPackedWeights` for it.
 */
import { registerView, disposeView, record, type TensorInfo, type WasmBackend } from './wasm_heap.js';

interface Entry {
  /** The tensor id the operator is cached under on the C side. */
  view: number;
  k: number;
  n: number;
  transposed: boolean;
}

const caches = new WeakMap<WasmBackend, Map<object, Entry[]>>();

function cacheOf(backend: WasmBackend): Map<object, Entry[]> {
  let cache = caches.get(backend);
  if (!cache) {
    cache = new Map();
    caches.set(backend, cache);
    const free = backend.disposeData.bind(backend);
    backend.disposeData = (dataId: object, force?: boolean): boolean => {
      const freed = free(dataId, force);
      if (freed) forget(backend, cache!, dataId);
      return freed;
    };
  }
  return cache;
}

function forget(backend: WasmBackend, cache: Map<object, Entry[]>, dataId: object): void {
  const entries = cache.get(dataId);
  if (!entries) return;
  cache.delete(dataId);
  for (const e of entries) disposeView(backend, e.view); // deletes the XNNPACK operator
}

/** Drop the operators packed from `t`'s data (after an in-place write to its heap memory). */
export function forgetPackedWeights(backend: WasmBackend, t: TensorInfo): void {
  const cache = caches.get(backend);
  if (cache) forget(backend, cache, t.dataId);
}

/** How many data ids hold packed operators (for tests). */
export function packedWeightCount(backend: WasmBackend): number {
  return caches.get(backend)?.size ?? 0;
}

export interface PackedWeight {
  /** The id to pass as b to `_BatchMatMul` with shape [1, K, N]. */
  view: number;
  /** A temporary [K, N] copy to free right after the first call has packed it, else null. */
  scratch: TensorInfo | null;
}

/**
 * The operand id for b as a [K, N] matrix: `b` itself ([K, N]) or, with `transposed`, b [N, K]
 * read as its transpose. `transposeInto` writes the [K, N] transpose of b into a new tensor.
 */
export function packedWeight(
  backend: WasmBackend,
  b: TensorInfo,
  k: number,
  n: number,
  transposed: boolean,
  transposeInto: (b: TensorInfo) => TensorInfo,
): PackedWeight {
  const cache = cacheOf(backend);
  const entries = cache.get(b.dataId) ?? [];
  const hit = entries.find((e) => e.k === k && e.n === n && e.transposed === transposed);
  if (hit) return { view: hit.view, scratch: null };
  // A [N, K] matrix with N or K = 1 has its transpose's layout already.
  const scratch = transposed && k > 1 && n > 1 ? transposeInto(b) : null;
  const view = registerView(backend, record(backend, scratch ?? b).memoryOffset, k * n);
  entries.push({ view, k, n, transposed });
  cache.set(b.dataId, entries);
  return { view, scratch };
}
