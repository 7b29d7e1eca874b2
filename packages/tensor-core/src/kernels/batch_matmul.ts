import { TensorCoreError } from '../errors.js';
/**
 * BatchMatMul for the wasm backend, routed through XNNPACK for every case. tfjs-backend-wasm 4.22
 * uses XNNPACK only for batch 1 without transpose flags and otherwise runs a naive loop at ~1
 * GFLOP/s; that covers attention, every backward matmul and every `x·Wᵀ`.
 *
 * - b one matrix (a weight, or any operand without batch dims): its XNNPACK operator is packed
 *   once per tensor value and cached (packed_weights.ts), transposed or not, and the batch of a
 *   folds into the rows of a single call. So `x·Wᵀ` with W [out, in] costs no copy of W per call,
 *   whatever the number of rows (decoding runs it with one).
 * - b batched: a transposed operand is first transposed by the tiled transpose, then each batch
 *   entry runs as one XNNPACK call on views of the wasm heap (no copies). With a threaded backend,
 *   entries of at most ONE_THREAD_MACS multiply-adds (attention's [B·H, T, d] products) run on
 *   one thread (wasm_pool.ts): handing each small call to the pool cost more than it saved.
 *
 * With the optional native BLAS built (native.ts), both backends hand the whole product to sgemm.
 */
import { tf } from '../tf.js';
import { transposeTiles } from './transpose.js';
import { transposeOnHeap } from './transpose_simd.js';
import { nativeBlas } from './native.js';
import { matMulDims, broadcastIndex } from './matmul_shapes.js';
import { nativeMatMul } from './matmul_native.js';
import { onOneThread } from './wasm_pool.js';
import { packedWeight } from './packed_weights.js';
import { heapBuffer, disposeView, record, registerView, writeInts, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

/** Batched entries up to this many multiply-adds (M·N·K) run on one thread: 2^23, a [128, 256]·[256, 256] entry. */
export const ONE_THREAD_MACS = 1 << 23;

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Swap the last two axes of a contiguous [batch, rows, cols] tensor into a new heap tensor. */
export function transposeLast2(backend: WasmBackend, x: TensorInfo, batch: number, rows: number, cols: number): TensorInfo {
  const out = backend.makeOutput([batch, cols, rows], x.dtype);
  const [xo, oo] = [record(backend, x).memoryOffset, record(backend, out).memoryOffset];
  if (transposeOnHeap(backend, xo, oo, batch, rows, cols)) return out;
  const n = batch * rows * cols;
  const buf = heapBuffer(backend.wasm);
  transposeTiles(new Int32Array(buf, xo, n), new Int32Array(buf, oo, n), batch, rows, cols);
  return out;
}

/**
 * out[M, N] = a[M, K] · b[K, N] on heap byte offsets, via the XNNPACK path of `_BatchMatMul`.
 * `bId` may name an id whose operator is cached (b's offset is then unused).
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

export function batchMatMulWasm(backend: WasmBackend, a: TensorInfo, b: TensorInfo, { transposeA, transposeB }: Attrs): TensorInfo {
  const { m, n, k, kb } = matMulDims(a, b, transposeA, transposeB);
  if (k !== kb) {
    throw new TensorCoreError('ARGUMENT', `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
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
  // a contiguous and untransposed: [batchA, M, K].
  const ta = transposeA && m > 1 && k > 1 ? transposeLast2(backend, a, batchA, k, m) : null;
  if (batchB === 1) {
    // One b for every entry (then batchA = batch): its packed operator, all batch·M rows in one call.
    const w = packedWeight(backend, b, k, n, transposeB, (x) => transposeLast2(backend, x, 1, n, k));
    xnnMatMul(backend, record(backend, ta ?? a).memoryOffset, 0, record(backend, out).memoryOffset, batch * m, k, n, w.view);
    if (w.scratch) backend.disposeData(w.scratch.dataId);
  } else {
    const tb = transposeB && n > 1 && k > 1 ? transposeLast2(backend, b, batchB, n, k) : null;
    const aOff = record(backend, ta ?? a).memoryOffset;
    const bOff = record(backend, tb ?? b).memoryOffset;
    const outOff = record(backend, out).memoryOffset;
    const ia = broadcastIndex(outer, outerA);
    const ib = broadcastIndex(outer, outerB);
    const entries = () => {
      for (let i = 0; i < batch; i++) xnnMatMul(backend, aOff + ia(i) * m * k * 4, bOff + ib(i) * k * n * 4, outOff + i * m * n * 4, m, k, n);
    };
    if (m * n * k <= ONE_THREAD_MACS) onOneThread(backend, entries);
    else entries();
    if (tb) backend.disposeData(tb.dataId);
  }
  if (ta) backend.disposeData(ta.dataId);
  return out;
}

const stock = tf.getKernel('BatchMatMul', 'wasm');

/** The wasm BatchMatMul: float32 here, other dtypes to the stock kernel. */
export const batchMatMulWasmConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if ((a.dtype !== 'float32' || b.dtype !== 'float32') && stock) return stock.kernelFunc(args);
    return batchMatMulWasm(wasmOf(args), a, b, args.attrs as unknown as Attrs);
  },
};
