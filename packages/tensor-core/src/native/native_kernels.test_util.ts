/** Helpers of the native kernels' tests (rms_norm, silu_gate, rotary, batched_gemm). */
import { expect } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { nativeStatus, useNativeMatmul } from '../kernels/native.js';
import { randArray } from '../nn/reference.test_util.js';

/**
 * True when the kernel under test is missing (native path off, or an addon without it): the test
 * then checks that the status says why, and returns.
 */
export function kernelMissing(present: boolean): boolean {
  if (!present) expect(nativeStatus().reason ?? 'an addon built before this kernel', 'why the native kernel is absent').not.toBe('');
  return !present;
}

/** The tensors' values (read back) and the tensors disposed. */
export function readBack(outs: Tensor[]): Float32Array[] {
  const arrays = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return arrays;
}

/** Run `fn` on copies of `inputs` on the cpu backend with the native path off (the reference), then restore both. */
export function onCpuReference<T>(inputs: Tensor[], fn: (copies: Tensor[]) => T): T {
  const backend = tf.getBackend();
  tf.setBackend('cpu');
  useNativeMatmul(false);
  const copies = inputs.map((t) => tf.tensor(t.dataSync(), t.shape));
  try {
    return fn(copies);
  } finally {
    tf.dispose(copies);
    useNativeMatmul(true);
    tf.setBackend(backend);
  }
}

/** A float32 tensor of `shape` with seeded values in [−scale, scale]. */
export const seeded = (shape: number[], seed: number, scale = 1): Tensor => tf.tensor(randArray(shape.reduce((a, c) => a * c, 1), seed, scale), shape);
