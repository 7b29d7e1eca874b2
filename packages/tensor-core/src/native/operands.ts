/**
 * How the native kernels see tensors: as a (Float32Array, offset in floats) pair — one view of the
 * wasm heap with the tensor's offset, or a cpu tensor's own values at offset 0 — and how they
 * make their outputs on either backend.
 */
import { tf } from '../tf.js';
import { heapBuffer, record, type TensorInfo, type WasmBackend } from '../kernels/wasm_heap.js';

export interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> | null } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): TensorInfo;
}

export type NativeBackend = { kind: 'wasm'; backend: WasmBackend } | { kind: 'cpu'; backend: CpuBackend };

/** The backend a kernel runs on, when the native kernels serve it (wasm and cpu); else null. */
export function nativeBackend(name: string, backend: unknown): NativeBackend | null {
  if (name === 'wasm') return { kind: 'wasm', backend: backend as WasmBackend };
  if (name === 'cpu') return { kind: 'cpu', backend: backend as CpuBackend };
  return null;
}

export interface Operand {
  array: Float32Array;
  offset: number;
}

/**
 * Outputs of the given shapes (float32), and then the operands of `inputs` and the outputs. On
 * wasm the heap view is taken after the allocations (they may grow and move the heap).
 */
export function operands(b: NativeBackend, inputs: TensorInfo[], outShapes: number[][]): { outs: TensorInfo[]; ins: Operand[]; outOps: Operand[] } {
  if (b.kind === 'wasm') {
    const outs = outShapes.map((s) => b.backend.makeOutput(s, 'float32'));
    const heap = new Float32Array(heapBuffer(b.backend.wasm));
    const op = (t: TensorInfo): Operand => ({ array: heap, offset: record(b.backend, t).memoryOffset / 4 });
    return { outs, ins: inputs.map(op), outOps: outs.map(op) };
  }
  const arrays = outShapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
  const outs = outShapes.map((s, i) => b.backend.makeTensorInfo(s, 'float32', arrays[i]));
  const ins = inputs.map((t) => ({ array: b.backend.data.get(t.dataId).values as Float32Array, offset: 0 }));
  return { outs, ins, outOps: arrays.map((array) => ({ array, offset: 0 })) };
}
