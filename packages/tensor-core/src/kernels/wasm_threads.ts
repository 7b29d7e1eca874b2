/**
 * Multithreaded wasm in Node. tfjs-backend-wasm 4.22 turns threads off under Node: its emscripten
 * pthread pool creates workers from `blob:` URLs (which Node's Worker rejects) and sizes the XNNPACK
 * pool from half the logical cores. `enableWasmThreads(n)` adapts it before the backend first
 * initialises: worker_threads' Worker is wrapped so a `blob:` worker runs the package's worker
 * script from a string, its `load` message names the threaded module's real file, and the workers
 * are unref'd (XNNPACK's pool lives forever; without that the process would never exit).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import os from 'node:os';
import workerThreads from 'node:worker_threads';
import { tf } from '../tf.js';

const here = typeof __filename === 'string' ? __filename : import.meta.url;

function wasmPackageFiles(): { workerCode: string; threadedJs: string } {
  const req = createRequire(here);
  const main = req.resolve('@tensorflow/tfjs-backend-wasm'); // dist/tf-backend-wasm.node.js
  const wasmOut = join(dirname(main), '..', 'wasm-out');
  const { wasmWorkerContents } = req(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // Like tfjs: escape the raw newlines inside the script's string literals.
  return { workerCode: wasmWorkerContents.replace(/\n/g, '\\n'), threadedJs: join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js') };
}

type WorkerCtor = typeof workerThreads.Worker;
let installed = false;

function installWorkerShim(): void {
  if (installed) return;
  installed = true;
  const { workerCode, threadedJs } = wasmPackageFiles();
  const Real: WorkerCtor = workerThreads.Worker;
  class PthreadWorker extends Real {
    constructor(url: string | URL, options?: workerThreads.WorkerOptions) {
      if (String(url).startsWith('blob:')) {
        super(workerCode, { eval: true });
        super.unref();
      } else super(url, options);
    }
    override ref(): void {
      // Pool threads never end; keeping them unref'd lets the process exit.
    }
    override postMessage(msg: unknown, transfer?: readonly workerThreads.TransferListItem[]): void {
      const m = msg as { cmd?: string; urlOrBlob?: unknown };
      if (m && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') msg = { ...m, urlOrBlob: threadedJs };
      super.postMessage(msg, transfer);
    }
  }
  (workerThreads as { Worker: WorkerCtor }).Worker = PthreadWorker;
}

/**
 * Make the next wasm initialisation use the threaded-SIMD build with `threads` XNNPACK threads.
 * Must run before the wasm backend first initialises.
 */
export function enableWasmThreads(threads: number, setThreadsCount: (n: number) => void): void {
  installWorkerShim();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  // The C side caps the pool at half of the reported cores; report enough while it initialises.
  const cpus = os.cpus;
  const fake = () => {
    const real = cpus();
    while (real.length < 2 * threads) real.push(real[0]);
    return real;
  };
  (os as { cpus: typeof os.cpus }).cpus = fake;
  restoreCpus = () => {
    (os as { cpus: typeof os.cpus }).cpus = cpus;
  };
}

let restoreCpus: (() => void) | null = null;

/** Undo the core-count shim after initialisation. */
export function afterWasmInit(): void {
  restoreCpus?.();
  restoreCpus = null;
}
