/**
 * What `initBackend` reports beside the engine: which path the matmuls take (native BLAS and which
 * library, wasm XNNPACK, plain JS, libtensorflow) and the one change that would make this machine
 * faster (`healthgpt doctor` prints it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import os from 'node:os';
import { nativeStatus, type BlasInfo, type NativeStatus } from './kernels/native.js';

export type MatmulKind = 'native-blas' | 'wasm-xnnpack' | 'cpu-js' | 'tfjs-node';

export interface MatmulPath {
  kind: MatmulKind;
  /** The BLAS, e.g. `OpenBLAS 0.3.21 (pthreads)`; null off the native path. */
  library: string | null;
  /** Threads the matmuls run on (BLAS or XNNPACK threads); null when the library does not say. */
  threads: number | null;
  /** One line for logs and bench tables, e.g. `native BLAS: OpenBLAS 0.3.21 (pthreads), 2 threads`. */
  label: string;
}

/** Platforms with a prebuilt `@healthgpt/tensor-core-<platform>` package. */
export const PREBUILT_PLATFORMS: readonly string[] = ['linux-x64'];

const cores = () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
const plural = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

export function blasLabel(b: BlasInfo): string {
  const name = [b.vendor === 'unknown' ? b.library : b.vendor, b.version].filter(Boolean).join(' ');
  return b.parallel === 'unknown' ? name : `${name} (${b.parallel})`;
}

/** The matmul path of `engine` (a tfjs backend name) as things stand. */
export function matmulPath(engine: string, wasmThreads: number, status: NativeStatus = nativeStatus()): MatmulPath {
  if (engine === 'tensorflow') return { kind: 'tfjs-node', library: 'libtensorflow', threads: null, label: 'tfjs-node (libtensorflow)' };
  if ((engine === 'wasm' || engine === 'cpu') && status.blas && status.reason === null) {
    const library = blasLabel(status.blas);
    const t = status.blas.threads;
    return { kind: 'native-blas', library, threads: t, label: `native BLAS: ${library}${t ? `, ${plural(t)}` : ''}` };
  }
  if (engine === 'wasm') return { kind: 'wasm-xnnpack', library: null, threads: wasmThreads, label: `wasm XNNPACK, ${plural(wasmThreads)}` };
  return { kind: 'cpu-js', library: null, threads: 1, label: 'cpu JS kernels, 1 thread' };
}

function buildCommand(): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  const script = [join(dirname(here), '..', 'native', 'build.mjs'), join(dirname(here), '..', '..', 'native', 'build.mjs')].find(existsSync);
  return `node ${script ? relative(process.cwd(), script) : 'node_modules/@healthgpt/tensor-core/native/build.mjs'}`;
}

function osRelease(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

/** The command that installs a threaded OpenBLAS here. */
export function blasInstallCommand(): string {
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  if (process.platform === 'win32') return 'put libopenblas.dll (an OpenBLAS release) on PATH, or set HEALTHGPT_BLAS to its path';
  if (process.platform === 'darwin') return 'brew install openblas (Accelerate is used when present)';
  const release = osRelease();
  const like = (id: string) => new RegExp(`^(ID|ID_LIKE)=.*\\b${id}\\b`, 'm').test(release);
  if (like('debian') || like('ubuntu')) return `${sudo}apt-get install libopenblas0-pthread`;
  if (like('fedora') || like('rhel') || like('centos')) return `${sudo}dnf install openblas-threads`;
  if (like('suse')) return `${sudo}zypper install libopenblas_pthreads0`;
  if (like('arch')) return `${sudo}pacman -S openblas`;
  if (like('alpine')) return `${sudo}apk add openblas`;
  return 'install a threaded OpenBLAS, or set HEALTHGPT_BLAS to your BLAS library';
}

/** The one line that would make this machine faster, or null when nothing obvious would. */
export function speedHint(engine: string, wasmThreads: number, status: NativeStatus = nativeStatus()): string | null {
  if (engine === 'tensorflow') return null;
  const n = cores();
  if (!status.addon) {
    if (process.env.HEALTHGPT_NATIVE === '0') return 'unset HEALTHGPT_NATIVE (=0 turns the native BLAS path off)';
    const key = status.platformPackage.replace('@healthgpt/tensor-core-', '');
    if (PREBUILT_PLATFORMS.includes(key)) return `reinstall with optional dependencies (npm install --include=optional): ${status.platformPackage} holds the prebuilt native path`;
    return `build the native path for ${key}: ${buildCommand()}`;
  }
  if (!status.blas) {
    if (process.env.HEALTHGPT_BLAS) return `HEALTHGPT_BLAS=${process.env.HEALTHGPT_BLAS} could not be loaded: point it at a BLAS library, or unset it`;
    return `install a BLAS for the native path: ${blasInstallCommand()}`;
  }
  if (status.reason !== null) return 'useNativeMatmul(true) turns the native BLAS path back on';
  const b = status.blas;
  if (b.vendor === 'reference') return `the reference BLAS is several times slower than the wasm kernels: ${blasInstallCommand()}, and unset HEALTHGPT_BLAS`;
  if (b.parallel === 'serial' && n > 1) return `this ${b.vendor} is single-threaded; a threaded build uses all ${n} cores: ${blasInstallCommand()}`;
  if (b.threads !== null && b.threads < n) return `HEALTHGPT_BLAS_THREADS=${n} (the BLAS uses ${plural(b.threads)} of ${n} cores)`;
  if (engine === 'cpu') return "initBackend({ backend: 'wasm' }): the cpu engine runs every non-matmul op in plain JS";
  return null;
}
