/**
 * Concat for the wasm backend: the inverse of split.ts's SplitV, one strided copy per input, with
 * short row chunks copied by a plain loop. The stock kernel makes a subarray per row and input,
 * which is slow when rows are short: RoPE's rotate-half joins [B, H, T, 32] halves (16 k rows).
 */
import { tf } from '../tf.js';
import { heapBuffer, record, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';
import { SHORT_CHUNK } from './split.js';

export function concatWasm(backend: WasmBackend, inputs: TensorInfo[], axis: number): TensorInfo {
  const shape = inputs[0].shape;
  const total = inputs.reduce((a, t) => a + t.shape[axis], 0);
  const out = backend.makeOutput(shape.map((d, i) => (i === axis ? total : d)), inputs[0].dtype);
  const outer = tf.util.sizeFromShape(shape.slice(0, axis));
  const inner = tf.util.sizeFromShape(shape.slice(axis + 1));
  const buf = heapBuffer(backend.wasm);
  const dst = new Int32Array(buf, record(backend, out).memoryOffset, outer * total * inner);
  let begin = 0;
  for (const t of inputs) {
    const chunk = t.shape[axis] * inner;
    const src = new Int32Array(buf, record(backend, t).memoryOffset, outer * chunk);
    for (let r = 0; r < outer && chunk > 0; r++) {
      const from = r * chunk;
      const to = (r * total + begin) * inner;
      if (chunk >= SHORT_CHUNK) dst.set(src.subarray(from, from + chunk), to);
      else for (let i = 0; i < chunk; i++) dst[to + i] = src[from + i];
    }
    begin += t.shape[axis];
  }
  return out;
}

const stock = tf.getKernel('Concat', 'wasm');

export const concatWasmConfig: tf.KernelConfig = {
  kernelName: 'Concat',
  backendName: 'wasm',
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const dtype = inputs[0]?.dtype;
    if (inputs.length < 2 || (dtype !== 'float32' && dtype !== 'int32') || inputs.some((t) => t.dtype !== dtype)) return stock!.kernelFunc(args);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, inputs[0].shape)[0];
    tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
    return concatWasm(wasmOf(args), inputs, axis);
  },
};
