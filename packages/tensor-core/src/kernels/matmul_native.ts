/** The batched product through the optional native BLAS (native.ts), for the wasm and cpu kernels. */
import { tf } from '../tf.js';
import { broadcastIndex } from './matmul_shapes.js';
import type { NativeBlas } from './native.js';

/** The whole batched product through the native BLAS: one call when batches are whole or broadcast. */
export function nativeMatMul(blas: NativeBlas, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, outer: number[], outerA: number[], outerB: number[], m: number, n: number, k: number, ta: boolean, tb: boolean): void {
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  if (batchB === 1 && batchA === batch && !ta) {
    blas.sgemm(A, aOff, B, bOff, C, cOff, 1, 0, 0, batch * m, n, k, 0, tb ? 1 : 0); // b shared: fold the batch into rows
  } else if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
    blas.sgemm(A, aOff, B, bOff, C, cOff, batch, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, m, n, k, ta ? 1 : 0, tb ? 1 : 0);
  } else {
    const ia = broadcastIndex(outer, outerA);
    const ib = broadcastIndex(outer, outerB);
    for (let i = 0; i < batch; i++) blas.sgemm(A, aOff + ia(i) * m * k, B, bOff + ib(i) * k * n, C, cOff + i * m * n, 1, 0, 0, m, n, k, ta ? 1 : 0, tb ? 1 : 0);
  }
}
