/**
 * The optional native matmul (packages/tensor-core/native: an N-API addon calling a system CBLAS
 * sgemm, zero-copy on the wasm heap or cpu tensors). It is never required: when the addon was not
 * built, or no BLAS library is found, or HEALTHGPT_NATIVE=0, `nativeBlas()` is null and the wasm
 * kernels (XNNPACK) do the work. Build it with `node packages/tensor-core/native/build.mjs`.
 */
import { createRequire } from 'node:module';

export interface NativeBlas {
  /** C[i] = op(A[i])·op(B[i]) for i < batch; offsets and strides in floats, stride 0 broadcasts. */
  sgemm(a: Float32Array, aOff: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number, batch: number, aStride: number, bStride: number, m: number, n: number, k: number, transA: number, transB: number): void;
  /** The BLAS library loaded ('' when none). */
  blasLibrary(): string;
  /** Set the BLAS thread count (OpenBLAS); false when the library cannot. */
  setThreads(n: number): boolean;
}

const here = typeof __filename === 'string' ? __filename : import.meta.url;
const CANDIDATES = ['../../native/build/Release/tensor_core_native.node', '../native/build/Release/tensor_core_native.node'];

let cached: NativeBlas | null | undefined;
let enabled = true;

function load(): NativeBlas | null {
  if (process.env.HEALTHGPT_NATIVE === '0') return null;
  const req = createRequire(here);
  for (const rel of CANDIDATES) {
    try {
      const addon = req(rel) as NativeBlas;
      if (addon.blasLibrary()) return addon;
    } catch {
      // Not built here, or built for another Node ABI: fall through to the wasm kernels.
    }
  }
  return null;
}

/** The native BLAS addon when it is built, a BLAS was found, and it is enabled; else null. */
export function nativeBlas(): NativeBlas | null {
  if (cached === undefined) cached = load();
  return enabled ? cached : null;
}

/** Turn the native matmul on or off (e.g. to compare against the wasm kernels); returns whether it is in use. */
export function useNativeMatmul(on: boolean): boolean {
  enabled = on;
  return nativeBlas() !== null;
}
