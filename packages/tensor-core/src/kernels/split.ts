/**
 * SplitV for the wasm backend: one strided copy per output. The stock kernel runs one Slice per
 * output, and Slice off the leading axis copies element by element (~30 ms per qkv or gate/up
 * split of the benchmark decoder, 40 % of a training step on the native path).
 */
import { tf } from '../tf.js';
import { heapBuffer, record, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

/** Below this many elements per row chunk a plain loop beats `TypedArray.set` on a subarray. */
export const SHORT_CHUNK = 64;

export function splitWasm(backend: WasmBackend, x: TensorInfo, sizes: readonly number[], axis: number): TensorInfo[] {
  const count = x.shape[axis];
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
  const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
  const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === axis ? s : d)), x.dtype));
  const buf = heapBuffer(backend.wasm);
  const src = new Int32Array(buf, record(backend, x).memoryOffset, outer * count * inner);
  let begin = 0;
  sizes.forEach((s, k) => {
    const chunk = s * inner;
    const dst = new Int32Array(buf, record(backend, outs[k]).memoryOffset, outer * chunk);
    if (chunk === 0) return;
    for (let r = 0; r < outer; r++) {
      const from = (r * count + begin) * inner;
      const to = r * chunk;
      if (chunk >= SHORT_CHUNK) dst.set(src.subarray(from, from + chunk), to);
      else for (let i = 0; i < chunk; i++) dst[to + i] = src[from + i];
    }
    begin += s;
  });
  return outs;
}

const stock = tf.getKernel('SplitV', 'wasm');

export const splitVWasmConfig: tf.KernelConfig = {
  kernelName: 'SplitV',
  backendName: 'wasm',
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return stock!.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    return splitWasm(wasmOf(args), x, tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax), ax);
  },
};
