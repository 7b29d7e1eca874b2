/**
 * Unpack (unstack) for the wasm backend: one strided copy per output. The stock kernel slices once
 * per output through a path that reads the whole source each time (14 ms per qkv split of the
 * benchmark decoder).
 */
import { tf } from '../tf.js';
import { heapBuffer, record, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

export function unpackWasm(backend: WasmBackend, x: TensorInfo, axis: number): TensorInfo[] {
  const rank = x.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const count = x.shape[ax];
  const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const outShape = x.shape.filter((_, i) => i !== ax);
  const outs = Array.from({ length: count }, () => backend.makeOutput(outShape, x.dtype));
  const buf = heapBuffer(backend.wasm);
  const src = new Int32Array(buf, record(backend, x).memoryOffset, outer * count * inner);
  outs.forEach((o, i) => {
    const dst = new Int32Array(buf, record(backend, o).memoryOffset, outer * inner);
    for (let r = 0; r < outer; r++) {
      const s = (r * count + i) * inner;
      dst.set(src.subarray(s, s + inner), r * inner);
    }
  });
  return outs;
}

const stock = tf.getKernel('Unpack', 'wasm');

export const unpackWasmConfig: tf.KernelConfig = {
  kernelName: 'Unpack',
  backendName: 'wasm',
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const { value } = args.inputs as { value: TensorInfo };
    if (value.dtype !== 'float32' && value.dtype !== 'int32') return stock!.kernelFunc(args);
    return unpackWasm(wasmOf(args), value, (args.attrs as { axis: number }).axis);
  },
};
