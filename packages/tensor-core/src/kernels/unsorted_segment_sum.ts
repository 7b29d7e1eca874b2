/**
 * UnsortedSegmentSum as an O(N·D) scatter-add: out[ids[i], :] += x[i, :]. It is the gradient of
 * `gather` (every embedding lookup). tfjs-backend-wasm 4.22 does not register it, and the cpu
 * backend's kernel is O(segments·N·D) (56 s of a 60 s training step). Ids outside
 * [0, numSegments) are dropped, as in TensorFlow.
 */
import { tf } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { cpuOf } from './cpu_data.js';
import { heapF32, heapI32, wasmOf, type TensorInfo } from './wasm_heap.js';

/** Scatter-add rows of `x` ([n, d] flattened) into `out` ([segments, d], zeroed here). */
export function scatterAdd(x: ArrayLike<number>, ids: ArrayLike<number>, d: number, segments: number, out: Float32Array | Int32Array): void {
  out.fill(0);
  const n = ids.length;
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= segments) continue;
    const src = i * d;
    const dst = s * d;
    for (let j = 0; j < d; j++) out[dst + j] += x[src + j];
  }
}

/** Output shape and row width of UnsortedSegmentSum(x, ids, numSegments). */
export function segmentSumShape(xShape: number[], idsShape: number[], numSegments: number): { shape: number[]; d: number } {
  const prefix = xShape.slice(0, idsShape.length);
  TensorCoreError.check(
    prefix.length === idsShape.length && prefix.every((v, i) => v === idsShape[i]),
    'ARGUMENT',
    () => `'segmentIds' [${idsShape}] passed to 'UnsortedSegmentSum' must be a prefix of the shape of 'x' [${xShape}]`,
  );
  const rest = xShape.slice(idsShape.length);
  return { shape: [numSegments, ...rest], d: tf.util.sizeFromShape(rest) };
}

/** The kernel's inputs and attributes, and the output's shape and row width. */
function segmentArgs(args: Parameters<tf.KernelFunc>[0]) {
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  return { x, segmentIds, numSegments, ...segmentSumShape(x.shape, segmentIds.shape, numSegments) };
}

/** UnsortedSegmentSum for wasm (which lacks it), on the heap. */
export const segmentSumWasmConfig: tf.KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const backend = wasmOf(args);
    const { x, segmentIds, numSegments, shape, d } = segmentArgs(args);
    const out = backend.makeOutput(shape, x.dtype === 'int32' ? 'int32' : 'float32');
    const xs = x.dtype === 'int32' ? heapI32(backend, x) : heapF32(backend, x);
    const o = out.dtype === 'int32' ? heapI32(backend, out) : heapF32(backend, out);
    scatterAdd(xs, heapI32(backend, segmentIds), d, numSegments, o);
    return out;
  },
};

/** UnsortedSegmentSum for cpu, replacing the O(segments·N·D) stock kernel. */
export const segmentSumCpuConfig: tf.KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'cpu',
  kernelFunc: (args) => {
    const backend = cpuOf(args);
    const { x, segmentIds, numSegments, shape, d } = segmentArgs(args);
    const out = new Float32Array(tf.util.sizeFromShape(shape));
    scatterAdd(backend.data.get(x.dataId).values, backend.data.get(segmentIds.dataId).values, d, numSegments, out);
    return backend.makeTensorInfo(shape, 'float32', out);
  },
};
