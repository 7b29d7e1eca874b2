/**
 * Sum for the wasm backend over any contiguous block of axes, viewed as [outer, reduced, inner]
 * and accumulated in float64 without a transpose. The stock kernel transposes the reduced axes
 * innermost first; for bias gradients (a sum over the leading token axis of [1024, 768]) that
 * costs ~10 ms a call. Innermost-axis and non-contiguous reductions return null: the caller uses
 * the stock kernel (which is fast when no transpose is needed). With the native BLAS and a large
 * float32 input, the sum is one sgemm per outer block (onesᵀ · x, ~5x the JS pass).
 */
import { tf } from '../tf.js';
import { heapBuffer, record, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';
import { nativeBlas } from './native.js';

/** Below this many values a JS pass beats a BLAS call. */
const BLAS_MIN = 1 << 15;
let ones = new Float32Array(0);

/** A ones vector of at least `n` floats (kept between calls). */
function onesOf(n: number): Float32Array {
  if (ones.length < n) ones = new Float32Array(n).fill(1);
  return ones;
}

export function sumWasm(backend: WasmBackend, x: TensorInfo, axis: number | number[], keepDims: boolean): TensorInfo | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const rank = x.shape.length;
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  if (axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) return null;
  const first = axes.length ? axes[0] : rank;
  const last = axes.length ? axes[axes.length - 1] : rank - 1;
  const outer = x.shape.slice(0, first).reduce((a, b) => a * b, 1);
  const red = x.shape.slice(first, last + 1).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(last + 1).reduce((a, b) => a * b, 1);
  const empty = outer * red * inner === 0;
  if (inner === 1 && !empty) return null; // innermost axes: the stock C kernel needs no transpose there
  const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const out = backend.makeOutput(shape, x.dtype);
  const buf = heapBuffer(backend.wasm);
  const view = (off: number, n: number) => (x.dtype === 'float32' ? new Float32Array(buf, off, n) : new Int32Array(buf, off, n));
  if (empty) {
    // The stock kernel leaves the output of an empty reduction unwritten (heap garbage): Σ∅ = 0.
    if (outer * inner > 0) view(record(backend, out).memoryOffset, outer * inner).fill(0);
    return out;
  }
  const src = view(record(backend, x).memoryOffset, outer * red * inner);
  const dst = view(record(backend, out).memoryOffset, outer * inner);
  const blas = x.dtype === 'float32' && red >= 16 && outer * red * inner >= BLAS_MIN ? nativeBlas() : null;
  if (blas) {
    // With the native BLAS: per outer block, onesᵀ [1, red] · x [red, inner] (float32 accumulation, as PyTorch).
    blas.sgemm(onesOf(red), 0, src as Float32Array, 0, dst as Float32Array, 0, outer, 0, red * inner, 1, inner, red, 0, 0);
    return out;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    // Four rows per pass (added in float64, as JS numbers are): a quarter of the accumulator traffic.
    let r = 0;
    for (; r + 4 <= red; r += 4) {
      const b0 = (o * red + r) * inner;
      const b1 = b0 + inner;
      const b2 = b1 + inner;
      const b3 = b2 + inner;
      for (let j = 0; j < inner; j++) acc[j] += src[b0 + j] + src[b1 + j] + (src[b2 + j] + src[b3 + j]);
    }
    for (; r < red; r++) {
      const base = (o * red + r) * inner;
      for (let j = 0; j < inner; j++) acc[j] += src[base + j];
    }
    dst.set(acc, o * inner);
  }
  return out;
}

const stock = tf.getKernel('Sum', 'wasm');

export const sumWasmConfig: tf.KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    return sumWasm(wasmOf(args), x, axis, keepDims) ?? stock!.kernelFunc(args);
  },
};
