import { TensorCoreError } from '../errors.js';
/**
 * GatherV2 for the wasm backend as block copies: x viewed as [batch, outer, dim, slice], each
 * gathered index copies one contiguous slice. The stock C kernel walks element by element
 * (~50 ms for 1024 rows of 1024; the embedding lookups of every forward).
 */
import { tf } from '../tf.js';
import { heapBuffer, record, wasmOf, type TensorInfo, type WasmBackend } from './wasm_heap.js';

export function gatherWasm(backend: WasmBackend, x: TensorInfo, indices: TensorInfo, axis: number, batchDims: number): TensorInfo | null {
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') return null;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, ax, batchDims);
  const nIdx = tf.util.sizeFromShape(indices.shape);
  const buf = heapBuffer(backend.wasm);
  const idx = new Int32Array(buf, record(backend, indices).memoryOffset, nIdx);
  const dim = info.dimSize;
  for (let i = 0; i < nIdx; i++) {
    if (idx[i] < 0 || idx[i] >= dim) throw new TensorCoreError('ARGUMENT', `GatherV2: the index value ${idx[i]} is not in [0, ${dim - 1}]`);
  }
  const out = backend.makeOutput(info.outputShape, x.dtype);
  const b2 = heapBuffer(backend.wasm);
  const src = new Int32Array(b2, record(backend, x).memoryOffset, tf.util.sizeFromShape(x.shape));
  const dst = new Int32Array(b2, record(backend, out).memoryOffset, tf.util.sizeFromShape(info.outputShape));
  const ids = new Int32Array(b2, record(backend, indices).memoryOffset, nIdx);
  const { batchSize, outerSize, sliceSize } = info;
  const perBatch = nIdx / batchSize;
  let d = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const base = (b * outerSize + o) * dim;
      for (let i = 0; i < perBatch; i++) {
        const s = (base + ids[b * perBatch + i]) * sliceSize;
        dst.set(src.subarray(s, s + sliceSize), d);
        d += sliceSize;
      }
    }
  }
  return out;
}

const stock = tf.getKernel('GatherV2', 'wasm');

export const gatherWasmConfig: tf.KernelConfig = {
  kernelName: 'GatherV2',
  backendName: 'wasm',
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    return gatherWasm(wasmOf(args), x, indices, axis, batchDims ?? 0) ?? stock!.kernelFunc(args);
  },
};
