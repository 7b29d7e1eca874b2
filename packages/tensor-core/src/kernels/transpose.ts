/**
 * Transpose for the wasm backend. The stock C kernel is fast up to rank 4 but falls into a slow
 * generic path at rank 5+ (48 ms for the [B, T, 3, H, Dh] → [3, B, H, T, Dh] split of a fused
 * qkv projection, ~40 % of a training step's transposes). Here axes are first simplified
 * (size-1 axes dropped, axes that stay adjacent merged); rank ≤ 4 then goes to the C kernel and
 * higher ranks to a JS loop that copies contiguous inner runs. Matrices and batches of matrices are
 * swapped by the SIMD blocks of transpose_simd.ts (JavaScript tiles where WebAssembly SIMD is missing),
 * and [A, R, C, D] → [A, C, R, D] with D a multiple of 4 by its SIMD row copies.
 */
import { tf } from '../tf.js';
import { swapRowsOnHeap, transposeOnHeap } from './transpose_simd.js';
import { heapBuffer, CPP_DTYPE, record, writeInts, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

/** Drop size-1 axes and merge axes that remain adjacent and in order under `perm`. */
export function simplifyPermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  // Renumber the kept (size > 1) input axes 0..r-1, in output order.
  const kept = shape.map((d, i) => (d !== 1 ? i : -1)).filter((i) => i >= 0);
  const rank = new Map(kept.map((a, i) => [a, i]));
  const dims = kept.map((a) => shape[a]);
  const axes = perm.filter((p) => rank.has(p)).map((p) => rank.get(p)!);
  // Group consecutive output axes that are consecutive input axes.
  const groups: number[][] = [];
  for (const a of axes) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1] + 1 === a) g.push(a);
    else groups.push([a]);
  }
  // New input axes: groups sorted by their first input axis.
  const byInput = [...groups].sort((a, b) => a[0] - b[0]);
  const newShape = byInput.map((g) => g.reduce((s, a) => s * dims[a], 1));
  const newPerm = groups.map((g) => byInput.indexOf(g));
  return { shape: newShape, perm: newPerm };
}

/**
 * Swap the last two axes of `batch` contiguous [rows, cols] matrices: 32×32 tiles walked in 4×4
 * blocks, each block's 16 moves written out so V8 keeps them in registers (3–5x the former 16×16
 * scalar tiles on the [1024, 1376] and [32, 128, 128] transposes of a training step's backward,
 * which were ~17 % of a wasm-only step). Rows and columns past the last multiple of 4 are moved
 * one by one.
 */
export function transposeTiles(src: Int32Array | Float32Array, dst: Int32Array | Float32Array, batch: number, rows: number, cols: number): void {
  const T = 32;
  const plane = rows * cols;
  const rows4 = rows - (rows % 4);
  const cols4 = cols - (cols % 4);
  for (let b = 0; b < batch; b++) {
    const base = b * plane;
    for (let i0 = 0; i0 < rows4; i0 += T) {
      const i1 = Math.min(rows4, i0 + T);
      for (let j0 = 0; j0 < cols4; j0 += T) {
        const j1 = Math.min(cols4, j0 + T);
        for (let i = i0; i < i1; i += 4) {
          const r0 = base + i * cols;
          const r1 = r0 + cols;
          const r2 = r1 + cols;
          const r3 = r2 + cols;
          for (let j = j0; j < j1; j += 4) {
            let d = base + j * rows + i;
            dst[d] = src[r0 + j];
            dst[d + 1] = src[r1 + j];
            dst[d + 2] = src[r2 + j];
            dst[d + 3] = src[r3 + j];
            d += rows;
            dst[d] = src[r0 + j + 1];
            dst[d + 1] = src[r1 + j + 1];
            dst[d + 2] = src[r2 + j + 1];
            dst[d + 3] = src[r3 + j + 1];
            d += rows;
            dst[d] = src[r0 + j + 2];
            dst[d + 1] = src[r1 + j + 2];
            dst[d + 2] = src[r2 + j + 2];
            dst[d + 3] = src[r3 + j + 2];
            d += rows;
            dst[d] = src[r0 + j + 3];
            dst[d + 1] = src[r1 + j + 3];
            dst[d + 2] = src[r2 + j + 3];
            dst[d + 3] = src[r3 + j + 3];
          }
        }
      }
    }
    // The edges: the last cols % 4 columns of every row, then the last rows % 4 rows.
    for (let i = 0; i < rows4; i++) for (let j = cols4; j < cols; j++) dst[base + j * rows + i] = src[base + i * cols + j];
    for (let i = rows4; i < rows; i++) for (let j = 0; j < cols; j++) dst[base + j * rows + i] = src[base + i * cols + j];
  }
}

/** out = transpose(x, perm) for 4-byte dtypes; `out` already allocated with the permuted shape. */
export function transposeInto(backend: WasmBackend, x: TensorInfo, perm: readonly number[], out: TensorInfo): void {
  const s = simplifyPermutation(x.shape, perm);
  const rank = s.shape.length;
  const size = s.shape.reduce((a, b) => a * b, 1);
  const wasm = backend.wasm;
  const xo = record(backend, x).memoryOffset;
  const oo = record(backend, out).memoryOffset;
  if (size === 0) return;
  if (rank <= 1) {
    new Uint8Array(heapBuffer(wasm)).copyWithin(oo, xo, xo + size * 4);
    return;
  }
  const heapI32 = (off: number) => new Int32Array(heapBuffer(wasm), off, size);
  // Matrices and batches of them: the SIMD blocks (transpose_simd.ts), else the JavaScript tiles.
  const mats = rank === 2 ? [1, s.shape[0], s.shape[1]] : rank === 3 && s.perm[0] === 0 && s.perm[1] === 2 ? s.shape : null;
  if (mats) {
    const [batch, rows, cols] = mats;
    if (!transposeOnHeap(backend, xo, oo, batch, rows, cols)) transposeTiles(heapI32(xo), heapI32(oo), batch, rows, cols);
    return;
  }
  // Whole rows of the last axis moving ([A, R, C, D] → [A, C, R, D]): SIMD row copies.
  const rows = rank === 3 && s.perm.join() === '1,0,2' ? [1, ...s.shape] : rank === 4 && s.perm.join() === '0,2,1,3' ? s.shape : null;
  if (rows && swapRowsOnHeap(backend, xo, oo, rows)) return;
  if (rank <= 4) {
    const sp = writeInts(wasm, 0, s.shape);
    const pp = writeInts(wasm, 8, s.perm);
    wasm._Transpose(record(backend, x).id, sp, rank, CPP_DTYPE[x.dtype], record(backend, out).id, pp, rank);
    return;
  }
  const src = heapI32(xo);
  const dst = heapI32(oo);
  // Input strides, read in output-axis order.
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * s.shape[i + 1];
  const outShape = s.perm.map((p) => s.shape[p]);
  const step = s.perm.map((p) => inStrides[p]);
  const last = rank - 1;
  const run = outShape[last];
  const runStride = step[last];
  const idx = new Array<number>(last).fill(0);
  // Contiguous runs are moved with copyWithin on one heap view (no subarray object per run).
  const heap = new Int32Array(heapBuffer(wasm));
  const x4 = xo >> 2;
  const o4 = oo >> 2;
  let srcBase = 0;
  for (let d = 0; d < size; d += run) {
    if (runStride === 1) heap.copyWithin(o4 + d, x4 + srcBase, x4 + srcBase + run);
    else for (let j = 0, p = srcBase; j < run; j++, p += runStride) dst[d + j] = src[p];
    // Advance the odometer over the outer output axes.
    for (let a = last - 1; a >= 0; a--) {
      idx[a]++;
      srcBase += step[a];
      if (idx[a] < outShape[a]) break;
      srcBase -= step[a] * outShape[a];
      idx[a] = 0;
    }
  }
}

const stock = tf.getKernel('Transpose', 'wasm');

export const transposeWasmConfig: tf.KernelConfig = {
  kernelName: 'Transpose',
  backendName: 'wasm',
  // The stock setup binds the C transpose that Sum, Max, Mean… call internally: keep it.
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const perm = (args.attrs as { perm: number[] }).perm;
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || !stock) return stock!.kernelFunc(args);
    const backend = wasmOf(args);
    const out = backend.makeOutput(perm.map((p) => x.shape[p]), x.dtype);
    transposeInto(backend, x, perm, out);
    return out;
  },
};
