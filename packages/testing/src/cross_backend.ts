/**
 * Cross-backend checks for kernels: run the same computation on the wasm and cpu backends and
 * return both results as plain arrays, so a custom wasm kernel is checked against the cpu reference.
 */
import { tf, useNativeMatmul, type Tensor } from '@healthgpt/tensor-core';

export interface CrossResult {
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

async function runOn(backend: 'wasm' | 'cpu', fn: () => Tensor): Promise<CrossResult> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const out = tf.tidy(fn);
  const result = { shape: out.shape, values: out.dataSync() as Float32Array | Int32Array | Uint8Array };
  out.dispose();
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`computation leaked ${leaked} tensor(s) on ${backend}`);
  return result;
}

/**
 * `fn` on wasm and on cpu (left active afterwards: wasm). The cpu run is the reference (stock JS
 * kernels, native matmul off); the wasm run uses the native matmul only when `native` is set.
 */
export async function wasmAndCpu(fn: () => Tensor, { native = false }: { native?: boolean } = {}): Promise<{ wasm: CrossResult; cpu: CrossResult }> {
  try {
    useNativeMatmul(false);
    const cpu = await runOn('cpu', fn);
    useNativeMatmul(native);
    const wasm = await runOn('wasm', fn);
    return { wasm, cpu };
  } finally {
    useNativeMatmul(false);
  }
}

/**
 * Deterministic pseudo-random floats in [-1, 1) (a 32-bit LCG), for kernel inputs. Self-contained
 * on purpose (not tensor-core's `Generator`): native.test.ts sends its source to a child process.
 */
export function randomValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** max |a − b| (Infinity on a length mismatch). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
