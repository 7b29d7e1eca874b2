/** Tile for the wasm backend when the input is a single value (scalars broadcast by `where`, e.g. attention masks): a fill. */
import { tf } from '../tf.js';
import { heapF32, heapI32, wasmOf, type TensorInfo } from './wasm_heap.js';

const stock = tf.getKernel('Tile', 'wasm');

export const tileWasmConfig: tf.KernelConfig = {
  kernelName: 'Tile',
  backendName: 'wasm',
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const reps = (args.attrs as { reps: number[] }).reps;
    if (tf.util.sizeFromShape(x.shape) !== 1 || (x.dtype !== 'float32' && x.dtype !== 'int32')) return stock!.kernelFunc(args);
    const backend = wasmOf(args);
    const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]), x.dtype);
    const src = x.dtype === 'float32' ? heapF32(backend, x) : heapI32(backend, x);
    (out.dtype === 'float32' ? heapF32(backend, out) : heapI32(backend, out)).fill(src[0]);
    return out;
  },
};
