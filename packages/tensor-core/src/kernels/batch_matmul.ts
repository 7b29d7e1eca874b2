/**
 * BatchMatMul for the wasm backend, routed through XNNPACK for every case. tfjs-backend-wasm 4.22
 * uses XNNPACK only for batch 1 without transpose flags and otherwise runs a naive loop at ~1
 * GFLOP/s; that covers attention and every backward matmul. Here a transposed operand is first
 * transposed by the wasm Transpose kernel, then each batch entry runs as one XNNPACK
 * fully-connected call on views of the wasm heap (no copies). When b is shared by every batch
 * entry, the batch folds into the rows of a single call.
 */
import { tf } from '../tf.js';
import { transposeTiles } from './transpose.js';
import { nativeBlas, type NativeBlas } from './native.js';
import { heapBuffer, disposeView, record, registerView, writeInts, type TensorInfo, type WasmBackend } from './wasm_heap.js';

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Swap the last two axes of a contiguous [batch, rows, cols] tensor into a new heap tensor. */
export function transposeLast2(backend: WasmBackend, x: TensorInfo, batch: number, rows: number, cols: number): TensorInfo {
  const out = backend.makeOutput([batch, cols, rows], x.dtype);
  const n = batch * rows * cols;
  const buf = heapBuffer(backend.wasm);
  transposeTiles(new Int32Array(buf, record(backend, x).memoryOffset, n), new Int32Array(buf, record(backend, out).memoryOffset, n), batch, rows, cols);
  return out;
}

/**
 * out[M, N] = a[M, K] · b[K, N] on heap byte offsets, via the XNNPACK path of `_BatchMatMul`.
 * `bId` may name b's own tensor id (its packed weights then stay cached while b lives).
 */
export function xnnMatMul(backend: WasmBackend, aOff: number, bOff: number, outOff: number, m: number, k: number, n: number, bId?: number): void {
  const wasm = backend.wasm;
  const aView = registerView(backend, aOff, m * k);
  const bView = bId ?? registerView(backend, bOff, k * n);
  const outView = registerView(backend, outOff, m * n);
  const ap = writeInts(wasm, 16, [1, m, k]);
  const bp = writeInts(wasm, 20, [1, k, n]);
  wasm._BatchMatMul(aView, ap, 3, bView, bp, 3, 0, 0, outView);
  disposeView(backend, aView);
  if (bId === undefined) disposeView(backend, bView);
  disposeView(backend, outView);
}

/** For each flat index of the broadcast batch shape, the flat batch index into an operand. */
function broadcastIndex(outer: number[], operand: number[]): (i: number) => number {
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

export function batchMatMulWasm(backend: WasmBackend, a: TensorInfo, b: TensorInfo, { transposeA, transposeB }: Attrs): TensorInfo {
  const { m, n, k, kb } = matMulDims(a, b, transposeA, transposeB);
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  const out = backend.makeOutput([...outer, m, n], 'float32');
  if (batch * m * n === 0) return out;
  if (k === 0) {
    new Float32Array(heapBuffer(backend.wasm), record(backend, out).memoryOffset, batch * m * n).fill(0);
    return out;
  }
  const blas = nativeBlas();
  if (blas) {
    const heap = new Float32Array(heapBuffer(backend.wasm));
    nativeMatMul(blas, heap, record(backend, a).memoryOffset / 4, heap, record(backend, b).memoryOffset / 4, heap, record(backend, out).memoryOffset / 4, outer, outerA, outerB, m, n, k, transposeA, transposeB);
    return out;
  }
  // Make both operands contiguous, non-transposed: A [batchA, M, K], B [batchB, K, N].
  const ta = transposeA && m > 1 && k > 1 ? transposeLast2(backend, a, batchA, k, m) : null;
  const tb = transposeB && n > 1 && k > 1 ? transposeLast2(backend, b, batchB, n, k) : null;
  const aOff = record(backend, ta ?? a).memoryOffset;
  const bOff = record(backend, tb ?? b).memoryOffset;
  const outOff = record(backend, out).memoryOffset;
  const ownB = tb === null ? record(backend, b).id : undefined;
  if (batchB === 1 && batchA === batch) {
    // b shared by every entry: one call with batch·M rows.
    xnnMatMul(backend, aOff, bOff, outOff, batch * m, k, n, ownB);
  } else {
    const ia = broadcastIndex(outer, outerA);
    const ib = broadcastIndex(outer, outerB);
    for (let i = 0; i < batch; i++) {
      const ai = ia(i);
      const bi = ib(i);
      const shared = batchB === 1 ? ownB : undefined;
      xnnMatMul(backend, aOff + ai * m * k * 4, bOff + bi * k * n * 4, outOff + i * m * n * 4, m, k, n, shared);
    }
  }
  if (ta) backend.disposeData(ta.dataId);
  if (tb) backend.disposeData(tb.dataId);
  return out;
}
