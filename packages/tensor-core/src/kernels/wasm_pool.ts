/**
 * A one-thread XNNPACK pool beside the threaded wasm backend's own, for products too small to
 * share. tfjs-backend-wasm runs every XNNPACK call on one pthreadpool (`tfjs::backend::threadpool`,
 * a C global): with 2 threads, each call wakes the helper, splits its tiles and waits for it. For a
 * batched product that is one call per batch entry of ~1–4 MFLOP each (attention's [B·H, T, d]
 * products), that hand-off costs about as much as the arithmetic, so 2 threads ran such a product
 * slower than 1.
 *
 * The module exports `init_with_threads_count(n)`, which creates a pool of n threads and stores it
 * in that global. Calling it with 1 after initialisation creates a one-thread pool (no worker
 * threads); the global is then found as the one word of the module's static data that changed and
 * that `get_threads_count()` follows, verified by writing each pool into it in turn. Swapping that
 * word selects the pool for the next calls. If anything does not check out, no pool is offered and
 * every call keeps the backend's pool.
 */
import type { WasmBackend, WasmModule } from './wasm_heap.js';
import { heapBuffer } from './wasm_heap.js';

interface PoolModule extends WasmModule {
  _init_with_threads_count?(n: number): void;
  _get_threads_count?(): number;
}

/** The backend pool and a one-thread pool, and the address of the global that selects one. */
export interface WasmPools {
  /** Byte address of `tfjs::backend::threadpool`. */
  readonly slot: number;
  /** The backend's own pool (pointer) and its thread count. */
  readonly shared: number;
  readonly threads: number;
  /** A pool of one thread (pointer): calls run on the calling thread alone. */
  readonly single: number;
}

/** Bytes of static data searched for the global (tfjs-backend-wasm 4.22 keeps ~20 KB of globals near the start). */
const STATIC_BYTES = 1 << 20;

const found = new WeakMap<WasmModule, WasmPools | null>();

function locate(wasm: PoolModule): WasmPools | null {
  if (!wasm._init_with_threads_count || !wasm._get_threads_count) return null;
  const threads = wasm._get_threads_count();
  if (threads <= 1) return null;
  const before = new Int32Array(heapBuffer(wasm), 0, STATIC_BYTES / 4).slice();
  wasm._init_with_threads_count(1);
  const after = new Int32Array(heapBuffer(wasm), 0, STATIC_BYTES / 4);
  if (wasm._get_threads_count() !== 1) return null;
  for (let i = 1; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    const single = after[i];
    const shared = before[i];
    after[i] = shared;
    const sharedCount = wasm._get_threads_count();
    after[i] = single;
    if (sharedCount === threads && wasm._get_threads_count() === 1) {
      after[i] = shared; // the backend's pool stays the default
      return { slot: i * 4, shared, threads, single };
    }
  }
  return null; // the one-thread pool stays selected: correct, only slower
}

/** The pools of a threaded wasm backend (found once per module); null for one thread or when the global cannot be found. */
export function wasmPools(backend: WasmBackend): WasmPools | null {
  const wasm = backend.wasm as PoolModule;
  let p = found.get(wasm);
  if (p === undefined) {
    p = locate(wasm);
    found.set(wasm, p);
  }
  return p;
}

/** Run `fn` with XNNPACK on one thread (the caller's); the backend's pool is back afterwards, also on a throw. */
export function onOneThread<T>(backend: WasmBackend, fn: () => T): T {
  const pools = wasmPools(backend);
  if (!pools) return fn();
  const word = new Int32Array(heapBuffer(backend.wasm), pools.slot, 1);
  word[0] = pools.single;
  try {
    return fn();
  } finally {
    new Int32Array(heapBuffer(backend.wasm), pools.slot, 1)[0] = pools.shared;
  }
}

