import { setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { tf } from './tf.js';
import { BackendUnavailableError, TensorCoreError } from './errors.js';
import { afterWasmInit, enableWasmThreads } from './kernels/wasm_threads.js';
import { nativeBlas, nativeStatus, type NativeStatus } from './kernels/native.js';
import { matmulPath, speedHint, type MatmulPath } from './backend_report.js';

export type BackendRequest = 'auto' | 'gpu' | 'native' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend name now active: `tensorflow` (native or gpu), `wasm` or `cpu`. */
  name: string;
  /** What was requested. */
  requested: BackendRequest;
  /** Whether wasm runs its SIMD build (false for other backends). */
  simd: boolean;
  /** Threads the backend computes with (0 when the backend manages its own pool). */
  threads: number;
  /** The engine in one line, e.g. `wasm (SIMD, 2 threads)`. */
  engine: string;
  /** Which path the matmuls take: native BLAS (and which library), wasm XNNPACK, plain JS, libtensorflow. */
  matmul: MatmulPath;
  /** The native addon and its BLAS, or why they are not in use. */
  native: NativeStatus;
  /** The one change that would make this machine faster (e.g. install a BLAS); null when none. */
  hint: string | null;
}

export interface InitBackendOptions {
  backend?: BackendRequest;
  /**
   * XNNPACK threads for the wasm backend. Default: `HEALTHGPT_WASM_THREADS`, else 1 when the
   * native BLAS is live, else one per core (up to 4): without the BLAS, on an idle 2-core machine,
   * 2 threads train 1.46x faster than 1 (see the README). Only honoured when the wasm backend is first initialised, or re-created (tensors held
   * on it die), so a backend already in use keeps its thread count.
   */
  threads?: number;
}

const INSTALL_HINT: Record<'gpu' | 'native', string> = {
  gpu: "the 'gpu' backend needs @tensorflow/tfjs-node-gpu@4.22.0 (npm install @tensorflow/tfjs-node-gpu@4.22.0; it downloads libtensorflow with CUDA at install time)",
  native: "the 'native' backend needs @tensorflow/tfjs-node@4.22.0 (npm install @tensorflow/tfjs-node@4.22.0; it downloads libtensorflow at install time)",
};

/** Packages to try for each native kind; replaceable in tests. */
export const NATIVE_PACKAGES: Record<'gpu' | 'native', string> = {
  gpu: '@tensorflow/tfjs-node-gpu',
  native: '@tensorflow/tfjs-node',
};

async function importOptional(pkg: string): Promise<boolean> {
  try {
    // A variable specifier keeps bundlers from resolving an optional package at build time.
    const spec = pkg;
    await import(/* @vite-ignore */ spec);
    return true;
  } catch {
    return false;
  }
}

async function activate(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    // The cpu backend greets Node users with a banner advising tfjs-node on its first write;
    // initBackend already offers that choice, so the banner is noise in logs.
    if (ok && name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function tryNative(kind: 'gpu' | 'native'): Promise<boolean> {
  if (!(await importOptional(NATIVE_PACKAGES[kind]))) return false;
  return activate('tensorflow');
}

let wasmThreads = 1;

function wasmInitialised(): boolean {
  return Boolean((tf.engine().registry as Record<string, unknown>).wasm);
}

/** Re-register the wasm factory so the next activation builds a fresh module. */
function resetWasm(): void {
  const factory = tf.findBackendFactory('wasm');
  if (!factory) return;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
}

/** Activate wasm with `threads` XNNPACK threads (multithreaded build when > 1); falls back to 1. */
async function activateWasm(threads: number): Promise<boolean> {
  const current = wasmInitialised() ? wasmThreads : null;
  if (current !== null && current !== threads) resetWasm();
  if (!wasmInitialised()) {
    if (threads > 1) enableWasmThreads(threads, setThreadsCount);
    else tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  let ok = await activate('wasm');
  afterWasmInit();
  if (!ok && threads > 1) {
    // No shared memory or workers here: the single-threaded build still works.
    resetWasm();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setThreadsCount(1);
    ok = await activate('wasm');
  }
  if (ok) wasmThreads = getThreadsCount();
  return ok;
}

let lastRequest: BackendRequest = 'auto';

function info(requested: BackendRequest): BackendInfo {
  lastRequest = requested;
  const name = tf.getBackend();
  const simd = name === 'wasm' && Boolean(tf.env().getBool('WASM_HAS_SIMD_SUPPORT'));
  const threads = name === 'wasm' ? wasmThreads : name === 'cpu' ? 1 : 0;
  const native = nativeStatus();
  const engine = name === 'wasm' ? `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})` : name === 'tensorflow' ? 'tfjs-node (libtensorflow)' : `${name} (JS)`;
  return { name, requested, simd, threads, engine, matmul: matmulPath(name, wasmThreads, native), native, hint: speedHint(name, wasmThreads, native) };
}

/**
 * The live backend as `initBackend` reports it, without changing anything: engine, matmul path
 * (native BLAS and which library, or wasm with its thread count), and the one line that would make
 * this machine faster. Bench rows and `healthgpt doctor` print it.
 */
export function backendInfo(): BackendInfo {
  return info(lastRequest);
}

/**
 * `HEALTHGPT_WASM_THREADS` when set; else 1 when the native BLAS is live (its threads and the
 * addon's pool do the parallel work, and a second XNNPACK thread spinning beside them made a
 * training step 2–8x slower on a loaded 2-core machine); else one thread per core, at most 4.
 */
export function defaultWasmThreads(): number {
  const env = Number(process.env.HEALTHGPT_WASM_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  if (nativeBlas()) return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, 4));
}

/**
 * Choose and initialise a backend. `auto` takes the fastest one available: tfjs-node-gpu, then
 * tfjs-node (both only when the user installed them), then wasm (SIMD), then cpu. Asking for an
 * absent `gpu` or `native` backend throws a `BackendUnavailableError` that says how to install it.
 */
export async function initBackend({ backend = 'auto', threads }: InitBackendOptions = {}): Promise<BackendInfo> {
  TensorCoreError.check(['auto', 'gpu', 'native', 'wasm', 'cpu'].includes(backend), 'ARGUMENT', `'backend' passed to 'initBackend' must be auto, gpu, native, wasm or cpu, got '${backend}'`);
  TensorCoreError.check(threads === undefined || (Number.isInteger(threads) && threads >= 1), 'ARGUMENT', `'threads' passed to 'initBackend' must be a positive integer, got ${threads}`);
  const want = threads ?? (wasmInitialised() ? wasmThreads : defaultWasmThreads());
  switch (backend) {
    case 'gpu':
    case 'native':
      if (await tryNative(backend)) return info(backend);
      throw new BackendUnavailableError(backend, INSTALL_HINT[backend]);
    case 'wasm':
      if (await activateWasm(want)) return info(backend);
      throw new BackendUnavailableError('wasm', "the 'wasm' backend failed to initialise (is @tensorflow/tfjs-backend-wasm@4.22.0 installed?)");
    case 'cpu':
      if (await activate('cpu')) return info(backend);
      throw new BackendUnavailableError('cpu', "the 'cpu' backend failed to initialise");
    case 'auto':
      if ((await tryNative('gpu')) || (await tryNative('native')) || (await activateWasm(want)) || (await activate('cpu'))) return info(backend);
      throw new BackendUnavailableError('auto', 'no TensorFlow.js backend could be initialised');
  }
}

/** Names of the backends that can be activated here, cheapest check first (used by test helpers). */
export async function availableBackends(): Promise<('cpu' | 'wasm' | 'native' | 'gpu')[]> {
  const out: ('cpu' | 'wasm' | 'native' | 'gpu')[] = ['cpu'];
  if (tf.findBackendFactory('wasm')) out.push('wasm');
  if (tf.findBackendFactory('tensorflow')) out.push('native');
  return out;
}
