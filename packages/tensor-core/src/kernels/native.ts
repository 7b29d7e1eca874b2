/**
 * The native path: an N-API addon (sources in packages/tensor-core/native) whose kernels run
 * zero-copy on the wasm heap or on cpu tensors, with matmuls in whichever BLAS the machine has
 * (found by the addon at load time, or the one `HEALTHGPT_BLAS` names). The addon comes from a
 * local build (`node native/build.mjs`, which lands in native/build/Release) or else from the
 * prebuilt optional package `@healthgpt/tensor-core-<platform>`. It is never required: without it,
 * without a BLAS, or with HEALTHGPT_NATIVE=0, the wasm kernels do the work and `nativeStatus()`
 * says why.
 */
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import os from 'node:os';

/** What the addon reports about the BLAS it loaded. */
export interface BlasInfo {
  /** The name that was loaded: a soname (`libopenblas.so.0`), a path, or `HEALTHGPT_BLAS`. */
  library: string;
  /** The file it resolved to (symlinks such as Debian's alternatives followed). */
  path: string;
  /** `OpenBLAS`, `BLIS`, `MKL`, `FlexiBLAS`, `Accelerate`, `reference` or `unknown`. */
  vendor: string;
  /** Version, when the library says ('' otherwise). */
  version: string;
  /** Threading of the build: `pthreads`, `openmp`, `serial`, `threaded` or `unknown`. */
  parallel: string;
  /** Extra detail: OpenBLAS's config line, MKL's version string, FlexiBLAS's backend. */
  detail: string;
  /** Which sgemm entry point is used: `cblas` (cblas_sgemm) or `fortran` (sgemm_). */
  interface: 'cblas' | 'fortran';
  /** Threads the library computes with; null when it cannot say. */
  threads: number | null;
}

/** The addon's functions (see native/src/addon.cc). */
export interface NativeAddon {
  readonly abi: number;
  /** C[i] = op(A[i])·op(B[i]) for i < batch; offsets and strides in floats, stride 0 broadcasts. */
  sgemm(a: Float32Array, aOff: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number, batch: number, aStride: number, bStride: number, m: number, n: number, k: number, transA: number, transB: number): void;
  blasInfo(): (Omit<BlasInfo, 'threads'> & { threads: number }) | null;
  blasProblem(): string;
  /** Set the BLAS thread count; false when the library cannot. */
  setThreads(n: number): boolean;
  /**
   * One AdamW step for every parameter: `table` holds 22 numbers per parameter — (index into
   * `arrays`, offset in floats) for p, g, m, v and the new p, m, v; then n, lr, beta1, beta2, eps,
   * weightDecay and the bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ. Outputs may alias their own inputs.
   */
  adamw(arrays: Float32Array[], table: Float64Array): void;
  /**
   * y [rows, out] = x [rows, in] · (q [out, in] · scales [out])ᵀ, int8 weights read once per call
   * across the pool (decoding with int8 layers). Absent from addons built before it existed.
   */
  int8Matmul?(x: Float32Array, xOff: number, q: Int8Array, scales: Float32Array, y: Float32Array, yOff: number, rows: number, out: number, inF: number): void;
  /**
   * softmax(q·kᵀ·scale + bias)·v of q [b, h, tq, hd] against a preallocated cache k, v [b, hkv, cap, hd]
   * (positions [0, len) filled), bias [biasB, tq, len] or null → out [b, h, tq, hd]. Absent from
   * addons built before it existed.
   */
  decodeAttention?(q: Float32Array, k: Float32Array, v: Float32Array, bias: Float32Array | null, out: Float32Array, b: number, h: number, hkv: number, tq: number, len: number, cap: number, hd: number, biasB: number, scale: number): void;
  /** RMSNorm forward over rows of x [rows, d]: y = x·r·w and r = 1/√(mean(x²) + eps) [rows]. Absent from addons built before it existed. */
  rmsNorm?(x: Float32Array, xOff: number, w: Float32Array, wOff: number, y: Float32Array, yOff: number, r: Float32Array, rOff: number, rows: number, d: number, eps: number): void;
  /** RMSNorm backward from the forward's x and r: dx [rows, d] and dw [d]. Absent from addons built before it existed. */
  rmsNormGrad?(dy: Float32Array, dyOff: number, x: Float32Array, xOff: number, r: Float32Array, rOff: number, w: Float32Array, wOff: number, dx: Float32Array, dxOff: number, dw: Float32Array, dwOff: number, rows: number, d: number): void;
  /** out [rows, n] = silu(g)·u, g and u rows `stride` floats apart. Absent from addons built before it existed. */
  siluGate?(g: Float32Array, gOff: number, u: Float32Array, uOff: number, stride: number, out: Float32Array, outOff: number, rows: number, n: number): void;
  /** The SiLU gate's backward: dg and du (rows `gradStride` apart) from g, u and da [rows, n]. Absent from addons built before it existed. */
  siluGateGrad?(g: Float32Array, gOff: number, u: Float32Array, uOff: number, stride: number, da: Float32Array, daOff: number, dg: Float32Array, dgOff: number, du: Float32Array, duOff: number, gradStride: number, rows: number, n: number): void;
  /** Rotate-half RoPE of x [b, h, t, d] with tables [cb, 1, t, d]; backward = 1 runs the transposed pass on dy. Absent from addons built before it existed. */
  rotary?(x: Float32Array, xOff: number, cos: Float32Array, cosOff: number, sin: Float32Array, sinOff: number, out: Float32Array, outOff: number, b: number, h: number, t: number, d: number, cb: number, backward: number): void;
  /** Attention for training: out [b, h, tq, d] = softmax(q·kᵀ·scale + bias)·v and its probs [b, h, tq, tk]; bias [biasB, 1, biasQ, tk] (biasB 0: none). Absent from addons built before it existed. */
  attention?(q: Float32Array, qOff: number, k: Float32Array, kOff: number, v: Float32Array, vOff: number, bias: Float32Array, biasOff: number, out: Float32Array, outOff: number, probs: Float32Array, probsOff: number, b: number, h: number, hkv: number, tq: number, tk: number, d: number, scale: number, biasB: number, biasQ: number): void;
  /** The training attention's backward: dq, dk, dv from q, k, v, the forward's probs and dout. Absent from addons built before it existed. */
  attentionGrad?(q: Float32Array, qOff: number, k: Float32Array, kOff: number, v: Float32Array, vOff: number, probs: Float32Array, probsOff: number, dout: Float32Array, doutOff: number, bias: Float32Array, biasOff: number, dq: Float32Array, dqOff: number, dk: Float32Array, dkOff: number, dv: Float32Array, dvOff: number, b: number, h: number, hkv: number, tq: number, tk: number, d: number, scale: number, biasB: number, biasQ: number): void;
  /** The training attention read from a fused projection x [b·t, (h + 2·hkv)·d] with RoPE on q and k (tables [ropeB, 1, t, d]): out [b·t, h·d] and probs [b, h, t, t]. Absent from addons built before it existed. */
  qkvAttention?(x: Float32Array, xOff: number, cos: Float32Array, cosOff: number, sin: Float32Array, sinOff: number, bias: Float32Array, biasOff: number, out: Float32Array, outOff: number, probs: Float32Array, probsOff: number, b: number, h: number, hkv: number, t: number, d: number, scale: number, biasB: number, biasQ: number, ropeB: number): void;
  /** Its backward: dx [b·t, (h + 2·hkv)·d] from x, the tables, probs and dout [b·t, h·d]. Absent from addons built before it existed. */
  qkvAttentionGrad?(x: Float32Array, xOff: number, cos: Float32Array, cosOff: number, sin: Float32Array, sinOff: number, probs: Float32Array, probsOff: number, dout: Float32Array, doutOff: number, bias: Float32Array, biasOff: number, dx: Float32Array, dxOff: number, b: number, h: number, hkv: number, t: number, d: number, scale: number, biasB: number, biasQ: number, ropeB: number): void;
  /** Softmax cross-entropy of x [rows, v] against int32 labels [rows]: stats [rows, 2] = (max, log Σ exp(x − max)), loss [1] = mean −log p[label] over rows not `ignore` (labels outside [0, v) add 0); returns that count. Absent from addons built before it existed. */
  crossEntropy?(x: Float32Array, xOff: number, labels: Int32Array, labelsOff: number, stats: Float32Array, statsOff: number, loss: Float32Array, lossOff: number, rows: number, v: number, ignore: number): number;
  /** Its backward: dx [rows, v] = (softmax(x) − onehot(label))·dy[0] / count on rows with a label in [0, v), 0 elsewhere. Absent from addons built before it existed. */
  crossEntropyGrad?(x: Float32Array, xOff: number, labels: Int32Array, labelsOff: number, stats: Float32Array, statsOff: number, dy: Float32Array, dyOff: number, dx: Float32Array, dxOff: number, rows: number, v: number, ignore: number): void;
  /** Threads of the addon's own elementwise kernels (the caller included). */
  poolThreads(): number;
  setPoolThreads(n: number): number;
}

/** The native matmul as the kernels use it (the addon when it has a BLAS). */
export type NativeBlas = Pick<NativeAddon, 'sgemm' | 'setThreads'> & { blasLibrary(): string };

export interface NativeStatus {
  /** The addon file in use and where it came from; null when none was loaded. */
  addon: { path: string; source: 'build' | 'package' } | null;
  /** The BLAS the addon found; null when none. */
  blas: BlasInfo | null;
  /** Why the native matmul is not in use (addon missing, no BLAS, HEALTHGPT_NATIVE=0, switched off); null when it is. */
  reason: string | null;
  /** The prebuilt package for this platform (whether or not it is installed). */
  platformPackage: string;
}

/** The addon ABI this tensor-core expects (native/src/addon.cc `kAbi`). */
export const NATIVE_ABI = 4;

const here = typeof __filename === 'string' ? __filename : import.meta.url;
// From src/kernels/ (sources, tests) and from dist/ (the published build).
const BUILD_CANDIDATES = ['../../native/build/Release/tensor_core_native.node', '../native/build/Release/tensor_core_native.node'];

/** The platform key of the prebuilt packages: linux-x64, linuxmusl-x64, darwin-arm64, win32-x64, … */
export function platformKey(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const musl = process.platform === 'linux' && !report?.header?.glibcVersionRuntime;
  return `${musl ? 'linuxmusl' : process.platform}-${process.arch}`;
}

interface Loaded {
  addon: NativeAddon | null;
  blas: NativeBlas | null;
  status: NativeStatus;
}

let loaded: Loaded | undefined;
let enabled = true;

function tryRequire(req: NodeJS.Require, spec: string): { addon: NativeAddon; path: string } | { error: string } | null {
  let path: string;
  try {
    path = req.resolve(spec);
  } catch {
    return null; // not there
  }
  try {
    return { addon: req(path) as NativeAddon, path };
  } catch (e) {
    return { error: `${path} did not load: ${(e as Error).message.split('\n')[0]}` };
  }
}

const cores = () => os.availableParallelism?.() ?? os.cpus().length;
const envThreads = (name: string) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n >= 1 ? n : null;
};

/** BLAS threads: HEALTHGPT_BLAS_THREADS when set; else the library's own default, except BLIS (1 thread unless told). */
function applyThreads(addon: NativeAddon, vendor: string): void {
  const n = envThreads('HEALTHGPT_BLAS_THREADS');
  if (n) addon.setThreads(n);
  else if (vendor === 'BLIS' && !process.env.BLIS_NUM_THREADS && !process.env.OMP_NUM_THREADS) addon.setThreads(cores());
}

function load(): Loaded {
  const platformPackage = `@healthgpt/tensor-core-${platformKey()}`;
  const none = (reason: string): Loaded => ({ addon: null, blas: null, status: { addon: null, blas: null, reason, platformPackage } });
  if (process.env.HEALTHGPT_NATIVE === '0') return none('HEALTHGPT_NATIVE=0 turns the native path off');
  const req = createRequire(here);
  const failures: string[] = [];
  const found = [...BUILD_CANDIDATES.map((spec) => ({ spec, source: 'build' as const })), { spec: platformPackage, source: 'package' as const }];
  for (const { spec, source } of found) {
    const r = tryRequire(req, spec);
    if (!r) continue;
    if ('error' in r) {
      failures.push(r.error);
      continue;
    }
    if (r.addon.abi !== NATIVE_ABI) {
      failures.push(`${r.path} is a stale build (abi ${String(r.addon.abi)}, expected ${NATIVE_ABI})`);
      continue;
    }
    // The addon's elementwise kernels: HEALTHGPT_NATIVE_THREADS, else one thread per core.
    r.addon.setPoolThreads(Math.min(envThreads('HEALTHGPT_NATIVE_THREADS') ?? cores(), 64));
    const raw = r.addon.blasInfo();
    let blas: BlasInfo | null = null;
    if (raw) {
      applyThreads(r.addon, raw.vendor);
      let path = raw.path;
      try {
        path = realpathSync(raw.path);
      } catch {
        // a name the loader resolved without a file path (e.g. Accelerate in the dyld cache)
      }
      const threads = r.addon.blasInfo()!.threads;
      blas = { ...raw, path, interface: raw.interface, threads: threads > 0 ? threads : null };
    }
    const reason = blas ? null : r.addon.blasProblem() || 'no BLAS library found';
    const library = blas?.library ?? '';
    const api: NativeBlas | null = blas ? { sgemm: r.addon.sgemm, setThreads: r.addon.setThreads, blasLibrary: () => library } : null;
    return { addon: r.addon, blas: api, status: { addon: { path: r.path, source }, blas, reason, platformPackage } };
  }
  return none(failures.length ? failures.join('; ') : `the native addon is not installed (neither a local build nor ${platformPackage})`);
}

function state(): Loaded {
  loaded ??= load();
  return loaded;
}

/** The loaded addon (with or without a BLAS), or null; whether or not the native path is switched on. */
export function nativeAddon(): NativeAddon | null {
  return state().addon;
}

/** The addon for tensor-core's native kernels (AdamW, …): loaded and switched on; they need no BLAS. */
export function nativeKernels(): NativeAddon | null {
  return enabled ? state().addon : null;
}

/** Which native path is live, and why not when it is not. */
export function nativeStatus(): NativeStatus {
  const s = state().status;
  const blas = s.blas && { ...s.blas, threads: liveThreads(s.blas) };
  if (s.addon && !enabled) return { ...s, blas, reason: 'switched off with useNativeMatmul(false)' };
  return { ...s, blas };
}

function liveThreads(b: BlasInfo): number | null {
  const t = state().addon?.blasInfo()?.threads ?? -1;
  return t > 0 ? t : b.threads;
}

/** The native matmul when the addon is loaded, has a BLAS and is enabled; else null. */
export function nativeBlas(): NativeBlas | null {
  return enabled ? state().blas : null;
}

/**
 * Turn the native path on or off at run time — its BLAS matmuls and its kernels (AdamW, …) — e.g.
 * to compare against the wasm-only path in one process; returns whether the native matmul is in use.
 */
export function useNativeMatmul(on: boolean): boolean {
  enabled = on;
  return nativeBlas() !== null;
}
