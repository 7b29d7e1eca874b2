/**
 * Sum for the wasm backend over any contiguous block of axes, viewed as [outer, reduced, inner]
 * and accumulated in float64 without a transpose. The stock kernel transposes the reduced axes
 * innermost first; for bias gradients (a sum over the leading token axis of [1024, 768]) that
 * costs ~10 ms a call. Innermost-axis and non-contiguous reductions return null: the caller uses
 * the stock kernel (which is fast when no transpose is needed).
 */
import { tf } from '../tf.js';
import { heapBuffer, record, type TensorInfo, type WasmBackend } from './wasm_heap.js';

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
  if (inner === 1) return null; // innermost axes: the stock C kernel needs no transpose there
  const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const out = backend.makeOutput(shape, x.dtype);
  const buf = heapBuffer(backend.wasm);
  const view = (off: number, n: number) => (x.dtype === 'float32' ? new Float32Array(buf, off, n) : new Int32Array(buf, off, n));
  const src = view(record(backend, x).memoryOffset, outer * red * inner);
  const dst = view(record(backend, out).memoryOffset, outer * inner);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let r = 0; r < red; r++) {
      const base = (o * red + r) * inner;
      for (let j = 0; j < inner; j++) acc[j] += src[base + j];
    }
    dst.set(acc, o * inner);
  }
  return out;
}
