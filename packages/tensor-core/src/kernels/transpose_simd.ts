/**
 * Matrix transposes on the wasm backend's heap in WebAssembly SIMD (wasm_simd.ts): the copies
 * behind every transposed operand of a wasm BatchMatMul (a training step's weight gradients
 * dYᵀ·X, attention's K and its backward) and the 2-D and batched-2-D Transpose kernels. A 4×4
 * block is four 16-byte loads, eight lane shuffles and four 16-byte stores, where the JavaScript
 * tiles (transpose.ts' `transposeTiles`) move its 16 elements one by one. The copy is exact, for
 * any 4-byte dtype. Rows and columns past the last multiple of 4 are moved by JavaScript.
 *
 * Transposes that move whole rows of the last axis ([A, R, C, D] → [A, C, R, D], as splitting and
 * merging attention heads does) are strided copies of rows of D, 16 bytes at a time.
 *
 * The block kernel walks bands of BAND columns: within a band, strips of 4 source rows are read left to
 * right and each lands as 16 bytes in BAND destination rows, which stay in cache until the next
 * strips fill their lines.
 */
import { onBackendMemory, simdExports, op, rowWalk, advance, uleb, I32, V128, type SimdFunction, type WasmMemory } from './wasm_simd.js';
import type { WasmBackend } from './wasm_heap.js';

/** Columns per band (a multiple of 4). */
const BAND = 8;

/** i8x16.shuffle taking 32-bit lanes `l` (0–3 from the first operand, 4–7 from the second). */
const shuffle32 = (l: number[]) => [0xfd, ...uleb(0x0d), ...l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3])];
const i32Mul = [0x6c];

/**
 * t4(src, dst, rows4, cols4, srcStride, dstStride): dst[j][i] = src[i][j] for i < rows4, j < cols4
 * (multiples of 4), with byte addresses and row strides in bytes.
 */
function blocks(): SimdFunction {
  const [SRC, DST, ROWS4, COLS4, SS, DS] = [0, 1, 2, 3, 4, 5];
  const [i, j, s, d, r0, r1, r2, r3, t0, t1, t2, t3] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const at = (base: number, k: number, stride: number) => [...op.get(base), ...(k === 0 ? [] : [...op.get(stride), ...op.i32Const(k), ...i32Mul, ...op.i32Add])];
  const loadRow = (k: number, into: number) => [...at(s, k, SS), ...op.load, ...op.set(into)];
  const mix = (a: number, b: number, lanes: number[], into: number) => [...op.get(a), ...op.get(b), ...shuffle32(lanes), ...op.set(into)];
  const storeCol = (k: number, a: number, b: number, lanes: number[]) => [...at(d, k, DS), ...op.get(a), ...op.get(b), ...shuffle32(lanes), ...op.store];
  const loop = (counter: number, limit: number, body: number[][], step: number[]) => [
    [...op.i32Const(0), ...op.set(counter)],
    op.block,
    op.loop,
    [...op.get(counter), ...op.get(limit), ...op.i32GeU, ...op.brIf(1)],
    ...body,
    step,
    [...op.get(counter), ...op.i32Const(4), ...op.i32Add, ...op.set(counter), ...op.br(0)],
    op.end,
    op.end,
  ];
  return {
    name: 't4',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128],
    body: loop(
      i,
      ROWS4,
      [
        // s = src + i·srcStride, d = dst + 4i
        [...op.get(SRC), ...op.get(i), ...op.get(SS), ...i32Mul, ...op.i32Add, ...op.set(s)],
        [...op.get(DST), ...op.get(i), ...op.i32Const(4), ...i32Mul, ...op.i32Add, ...op.set(d)],
        ...loop(
          j,
          COLS4,
          [
            loadRow(0, r0),
            loadRow(1, r1),
            loadRow(2, r2),
            loadRow(3, r3),
            mix(r0, r1, [0, 4, 1, 5], t0), // a0 b0 a1 b1
            mix(r0, r1, [2, 6, 3, 7], t1), // a2 b2 a3 b3
            mix(r2, r3, [0, 4, 1, 5], t2), // c0 d0 c1 d1
            mix(r2, r3, [2, 6, 3, 7], t3), // c2 d2 c3 d3
            storeCol(0, t0, t2, [0, 1, 4, 5]), // a0 b0 c0 d0
            storeCol(1, t0, t2, [2, 3, 6, 7]),
            storeCol(2, t1, t3, [0, 1, 4, 5]),
            storeCol(3, t1, t3, [2, 3, 6, 7]),
          ],
          [...op.get(s), ...op.i32Const(16), ...op.i32Add, ...op.set(s), ...op.get(d), ...op.get(DS), ...op.i32Const(4), ...i32Mul, ...op.i32Add, ...op.set(d)],
        ),
      ],
      [],
    ),
  };
}

/** copy(src, dst, rows, bytes, srcStride, dstStride): `rows` runs of `bytes` (a multiple of 16), strides in bytes. */
function copy(): SimdFunction {
  const [SRC, DST, ROWS, BYTES, SS, DS] = [0, 1, 2, 3, 4, 5];
  const j = 6;
  const at = (base: number) => [...op.get(base), ...op.get(j), ...op.i32Add];
  return {
    name: 'copy',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32],
    body: rowWalk(ROWS, j, BYTES, [[...at(DST), ...at(SRC), ...op.load, ...op.store]], [...advance(SRC, SS), ...advance(DST, DS)]),
  };
}

type Blocks = (src: number, dst: number, rows4: number, cols4: number, srcStride: number, dstStride: number) => void;
type Copy = (src: number, dst: number, rows: number, bytes: number, srcStride: number, dstStride: number) => void;

/** The kernels on `memory`, or null when this engine cannot run them. */
export const transposeSimdOn = (memory: WasmMemory) => simdExports('transpose', () => [blocks(), copy()], memory) as { t4: Blocks; copy: Copy } | null;

/**
 * [A, R, C, D] → [A, C, R, D] for 4-byte elements in `memory` (whole rows of D move: splitting
 * and merging attention heads), from byte address `src` to `dst`; false (nothing written) when D
 * is not a multiple of 4 or the kernel cannot run here.
 */
export function swapRowsOnMemory(memory: WasmMemory, src: number, dst: number, [a, r, c, d]: number[]): boolean {
  const k = d % 4 === 0 ? transposeSimdOn(memory) : null;
  if (!k) return false;
  const row = d * 4;
  for (let ai = 0; ai < a; ai++) for (let ci = 0; ci < c; ci++) k.copy(src + (ai * r * c + ci) * row, dst + (ai * c + ci) * r * row, r, row, c * row, row);
  return true;
}

/**
 * Swap the last two axes of `batch` contiguous [rows, cols] matrices of 4-byte elements in
 * `memory`, from byte address `src` to `dst` (not overlapping); false (nothing written) when the
 * SIMD kernel cannot run here.
 */
export function transposeOnMemory(memory: WasmMemory, src: number, dst: number, batch: number, rows: number, cols: number): boolean {
  const k = transposeSimdOn(memory);
  if (!k) return false;
  const rows4 = rows - (rows % 4);
  const cols4 = cols - (cols % 4);
  const plane = rows * cols * 4;
  for (let b = 0; b < batch; b++) {
    const s = src + b * plane;
    const d = dst + b * plane;
    for (let j0 = 0; j0 < cols4; j0 += BAND) k.t4(s + 4 * j0, d + j0 * rows * 4, rows4, Math.min(BAND, cols4 - j0), cols * 4, rows * 4);
  }
  if (rows4 === rows && cols4 === cols) return true;
  const heap = new Int32Array(memory.buffer);
  for (let b = 0; b < batch; b++) {
    const s = (src >> 2) + (b * plane) / 4;
    const d = (dst >> 2) + (b * plane) / 4;
    // The last cols % 4 columns of every row, then the last rows % 4 rows.
    for (let i = 0; i < rows4; i++) for (let j = cols4; j < cols; j++) heap[d + j * rows + i] = heap[s + i * cols + j];
    for (let i = rows4; i < rows; i++) for (let j = 0; j < cols; j++) heap[d + j * rows + i] = heap[s + i * cols + j];
  }
  return true;
}

/** `swapRowsOnMemory` on the wasm backend's heap; false when the SIMD kernel cannot run there. */
export function swapRowsOnHeap(backend: WasmBackend, src: number, dst: number, dims: number[]): boolean {
  return onBackendMemory(backend, (memory) => swapRowsOnMemory(memory, src, dst, dims)) ?? false;
}

/** `transposeOnMemory` on the wasm backend's heap; false when the SIMD kernel cannot run there. */
export function transposeOnHeap(backend: WasmBackend, src: number, dst: number, batch: number, rows: number, cols: number): boolean {
  return onBackendMemory(backend, (memory) => transposeOnMemory(memory, src, dst, batch, rows, cols)) ?? false;
}

