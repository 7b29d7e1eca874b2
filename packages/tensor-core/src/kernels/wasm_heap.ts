/**
 * Typed access to the parts of tfjs-backend-wasm 4.22 that the custom kernels use: the emscripten
 * module (heap views, malloc, the exported C kernels) and the backend's dataId → heap record map.
 * The C functions take tensor ids; a "view" is a temporary id registered on a slice of an existing
 * tensor's memory, so C kernels (XNNPACK) can run on one batch entry without a copy.
 */
import { tf } from '../tf.js';

export type TensorInfo = tf.TensorInfo;

interface WasmRecord {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: string;
  refCount: number;
}

export interface WasmModule {
  HEAPU8: Uint8Array;
  /** Present in the threaded build, whose HEAP views go stale when shared memory grows. */
  wasmMemory?: { buffer: ArrayBufferLike };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _BatchMatMul(aId: number, aShape: number, aRank: number, bId: number, bShape: number, bRank: number, ta: number, tb: number, outId: number): void;
  _Transpose(xId: number, xShape: number, rank: number, dtype: number, outId: number, perm: number, permLen: number): void;
  tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
}

export interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): WasmRecord };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Element size in bytes for the dtypes the wasm backend stores on its heap. */
export const BYTES = 4;

/** The C `DType` enum of tfjs-backend-wasm. */
export const CPP_DTYPE: Record<string, number> = { float32: 0, int32: 1, bool: 2 };

/** The current heap buffer (fresh after growth, threaded or not). */
export function heapBuffer(wasm: WasmModule): ArrayBufferLike {
  return wasm.wasmMemory ? wasm.wasmMemory.buffer : wasm.HEAPU8.buffer;
}

export function record(backend: WasmBackend, t: TensorInfo): WasmRecord {
  return backend.dataIdMap.get(t.dataId);
}

/** A tensor's byte address on the heap. */
export const heapAddress = (backend: WasmBackend, t: TensorInfo): number => record(backend, t).memoryOffset;

/** A Float32Array (or Int32Array) over a tensor's heap bytes; take it after the last allocation. */
export function heapF32(backend: WasmBackend, t: TensorInfo): Float32Array {
  const r = record(backend, t);
  return new Float32Array(heapBuffer(backend.wasm), r.memoryOffset, tf.util.sizeFromShape(t.shape));
}

export function heapI32(backend: WasmBackend, t: TensorInfo): Int32Array {
  const r = record(backend, t);
  return new Int32Array(heapBuffer(backend.wasm), r.memoryOffset, tf.util.sizeFromShape(t.shape));
}

/** Register `size` float32 elements at byte `offset` under a fresh id (dispose with `disposeView`). */
export function registerView(backend: WasmBackend, offset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, offset);
  return id;
}

/** Forget a view id (also drops any XNNPACK operator the C side cached for it); frees nothing. */
export function disposeView(backend: WasmBackend, id: number): void {
  backend.wasm.tfjs.disposeData(id);
}

const scratch = new WeakMap<WasmModule, number>();

/**
 * A small persistent heap buffer for shape/perm arguments (64 int32 slots per module).
 * Returns its byte offset; write with `writeInts`.
 */
export function scratchInts(wasm: WasmModule): number {
  let p = scratch.get(wasm);
  if (p === undefined) {
    p = wasm._malloc(64 * 4) >>> 0;
    scratch.set(wasm, p);
  }
  return p;
}

/** Write ints at `slot` (int index) of the scratch buffer; returns their byte address. */
export function writeInts(wasm: WasmModule, slot: number, values: readonly number[]): number {
  const base = scratchInts(wasm);
  new Int32Array(heapBuffer(wasm), base + slot * 4, values.length).set(values);
  return base + slot * 4;
}

/** The wasm backend a kernel was called with. */
export const wasmOf = (args: Parameters<tf.KernelFunc>[0]): WasmBackend => args.backend as unknown as WasmBackend;
