/** Shape arithmetic shared by the matmul kernels of every backend. */
import { tf } from '../tf.js';
import type { TensorInfo } from './wasm_heap.js';

/** The matmul sizes of `a` (…, m, k) · `b` (…, kb, n) under the transpose flags. */
export function matMulDims(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): { m: number; n: number; k: number; kb: number } {
  const ra = a.shape.length;
  const rb = b.shape.length;
  return {
    k: transposeA ? a.shape[ra - 2] : a.shape[ra - 1],
    kb: transposeB ? b.shape[rb - 1] : b.shape[rb - 2],
    m: transposeA ? a.shape[ra - 1] : a.shape[ra - 2],
    n: transposeB ? b.shape[rb - 2] : b.shape[rb - 1],
  };
}

/** For each flat index of the broadcast batch shape, the flat batch index into an operand. */
export function broadcastIndex(outer: number[], operand: number[]): (i: number) => number {
  const pad = [...new Array(outer.length - operand.length).fill(1), ...operand];
  if (pad.every((d, i) => d === outer[i])) return (i) => i;
  if (pad.every((d) => d === 1)) return () => 0;
  const strides = tf.util.computeStrides(pad);
  return (i) => {
    let flat = 0;
    let rest = i;
    for (let d = outer.length - 1; d >= 0; d--) {
      const idx = rest % outer[d];
      rest = Math.floor(rest / outer[d]);
      if (pad[d] !== 1) flat += idx * (d < strides.length ? strides[d] : 1);
    }
    return flat;
  };
}
