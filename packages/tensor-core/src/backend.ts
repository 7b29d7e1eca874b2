import { tf } from './tf.js';
import { BackendUnavailableError, check } from './errors.js';

export type BackendRequest = 'auto' | 'gpu' | 'native' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend name now active: `tensorflow` (native or gpu), `wasm` or `cpu`. */
  name: string;
  /** What was requested. */
  requested: BackendRequest;
  /** Whether wasm runs its SIMD build (false for other backends). */
  simd: boolean;
  /** Threads the backend computes with. */
  threads: number;
}

export interface InitBackendOptions {
  backend?: BackendRequest;
  /** Threads for the wasm backend (default: 1; see the README for when threads pay). */
  threads?: number;
}

const INSTALL_HINT: Record<'gpu' | 'native', string> = {
  gpu: "the 'gpu' backend needs @tensorflow/tfjs-node-gpu@4.22.0 (npm install @tensorflow/tfjs-node-gpu@4.22.0; it downloads libtensorflow with CUDA at install time)",
  native: "the 'native' backend needs @tensorflow/tfjs-node@4.22.0 (npm install @tensorflow/tfjs-node@4.22.0; it downloads libtensorflow at install time)",
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
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function tryNative(kind: 'gpu' | 'native'): Promise<boolean> {
  const pkg = kind === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  if (!(await importOptional(pkg))) return false;
  return activate('tensorflow');
}

function info(requested: BackendRequest): BackendInfo {
  const name = tf.getBackend();
  if (name === 'wasm') {
    const env = tf.env();
    const simd = Boolean(env.getBool('WASM_HAS_SIMD_SUPPORT'));
    return { name, requested, simd, threads: wasmThreads };
  }
  return { name, requested, simd: false, threads: name === 'cpu' ? 1 : 0 };
}

let wasmThreads = 1;

/**
 * Choose and initialise a backend. `auto` takes the fastest one available: tfjs-node-gpu, then
 * tfjs-node (both only when the user installed them), then wasm, then cpu. Asking for an
 * absent `gpu` or `native` backend throws a `BackendUnavailableError` that says how to install it.
 */
export async function initBackend({ backend = 'auto', threads }: InitBackendOptions = {}): Promise<BackendInfo> {
  check(['auto', 'gpu', 'native', 'wasm', 'cpu'].includes(backend), `'backend' passed to 'initBackend' must be auto, gpu, native, wasm or cpu, got '${backend}'`);
  check(threads === undefined || (Number.isInteger(threads) && threads >= 1), `'threads' passed to 'initBackend' must be a positive integer, got ${threads}`);
  if (threads !== undefined) wasmThreads = threads;
  switch (backend) {
    case 'gpu':
    case 'native':
      if (await tryNative(backend)) return info(backend);
      throw new BackendUnavailableError(backend, INSTALL_HINT[backend]);
    case 'wasm':
      if (await activate('wasm')) return info(backend);
      throw new BackendUnavailableError('wasm', "the 'wasm' backend failed to initialise (is @tensorflow/tfjs-backend-wasm@4.22.0 installed?)");
    case 'cpu':
      if (await activate('cpu')) return info(backend);
      throw new BackendUnavailableError('cpu', "the 'cpu' backend failed to initialise");
    case 'auto':
      if ((await tryNative('gpu')) || (await tryNative('native')) || (await activate('wasm')) || (await activate('cpu'))) return info(backend);
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
