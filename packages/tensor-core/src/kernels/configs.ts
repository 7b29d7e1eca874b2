/** The kernel configs tensor-core registers (see register.ts), one per kernel and backend. */
import { tf } from '../tf.js';
import { batchMatMulWasm, matMulDims, nativeMatMul } from './batch_matmul.js';
import { nativeBlas } from './native.js';
import { conv2DBackpropFilterWasm, type Conv2DBackpropFilterAttrs } from './conv2d_backprop_filter.js';
import { einsumWasm } from './einsum.js';
import { scatterAdd, segmentSumShape } from './unsorted_segment_sum.js';
import { transposeInto } from './transpose.js';
import { identityShared } from './identity.js';
import { unpackWasm } from './unpack.js';
import { sumWasm } from './sum.js';
import { tanhWasm } from './tanh.js';
import { gatherWasm } from './gather.js';
import { heapF32, heapI32, type TensorInfo, type WasmBackend } from './wasm_heap.js';

type KernelConfig = tf.KernelConfig;
type Args = Parameters<tf.KernelFunc>[0];

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): TensorInfo;
}

const wasmOf = (a: Args) => a.backend as unknown as WasmBackend;
const stockBatchMatMul = tf.getKernel('BatchMatMul', 'wasm');

const batchMatMul: KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  setupFunc: stockBatchMatMul?.setupFunc,
  kernelFunc: (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if ((a.dtype !== 'float32' || b.dtype !== 'float32') && stockBatchMatMul) return stockBatchMatMul.kernelFunc(args);
    return batchMatMulWasm(wasmOf(args), a, b, args.attrs as unknown as { transposeA: boolean; transposeB: boolean });
  },
};

const stockCpuBatchMatMul = tf.getKernel('BatchMatMul', 'cpu');

/** cpu BatchMatMul through the native BLAS when it is built; the stock JS kernel otherwise. */
const batchMatMulCpu: KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'cpu',
  setupFunc: stockCpuBatchMatMul?.setupFunc,
  kernelFunc: (args) => {
    const blas = nativeBlas();
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as unknown as CpuBackend;
    const { m, n, k, kb } = matMulDims(a, b, transposeA, transposeB);
    if (!blas || a.dtype !== 'float32' || b.dtype !== 'float32' || k !== kb || m * n * k === 0) return stockCpuBatchMatMul!.kernelFunc(args);
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    const out = new Float32Array(tf.util.sizeFromShape(outer) * m * n);
    const av = backend.data.get(a.dataId).values as Float32Array;
    const bv = backend.data.get(b.dataId).values as Float32Array;
    nativeMatMul(blas, av, 0, bv, 0, out, 0, outer, outerA, outerB, m, n, k, transposeA, transposeB);
    return backend.makeTensorInfo([...outer, m, n], 'float32', out);
  },
};

const segmentSumWasm: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const backend = wasmOf(args);
    const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const numSegments = (args.attrs as { numSegments: number }).numSegments;
    const { shape, d } = segmentSumShape(x.shape, segmentIds.shape, numSegments);
    const out = backend.makeOutput(shape, x.dtype === 'int32' ? 'int32' : 'float32');
    const xs = x.dtype === 'int32' ? heapI32(backend, x) : heapF32(backend, x);
    const o = out.dtype === 'int32' ? heapI32(backend, out) : heapF32(backend, out);
    scatterAdd(xs, heapI32(backend, segmentIds), d, numSegments, o);
    return out;
  },
};

const segmentSumCpu: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'cpu',
  kernelFunc: (args) => {
    const backend = args.backend as unknown as CpuBackend;
    const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const numSegments = (args.attrs as { numSegments: number }).numSegments;
    const { shape, d } = segmentSumShape(x.shape, segmentIds.shape, numSegments);
    const out = new Float32Array(tf.util.sizeFromShape(shape));
    scatterAdd(backend.data.get(x.dataId).values, backend.data.get(segmentIds.dataId).values, d, numSegments, out);
    return backend.makeTensorInfo(shape, 'float32', out);
  },
};

const conv2DBackpropFilter: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    return conv2DBackpropFilterWasm(wasmOf(args), x, dy, args.attrs as unknown as Conv2DBackpropFilterAttrs);
  },
};

const einsum: KernelConfig = {
  kernelName: 'Einsum',
  backendName: 'wasm',
  kernelFunc: (args) => einsumWasm(wasmOf(args), (args.attrs as { equation: string }).equation, args.inputs as unknown as TensorInfo[]),
};

export const KERNELS: KernelConfig[] = [batchMatMul, batchMatMulCpu, segmentSumWasm, segmentSumCpu, conv2DBackpropFilter, einsum];

const stockTranspose = tf.getKernel('Transpose', 'wasm');

const transpose: KernelConfig = {
  kernelName: 'Transpose',
  backendName: 'wasm',
  // The stock setup binds the C transpose that Sum, Max, Mean… call internally: keep it.
  setupFunc: stockTranspose?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const perm = (args.attrs as { perm: number[] }).perm;
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || !stockTranspose) return stockTranspose!.kernelFunc(args);
    const backend = wasmOf(args);
    const out = backend.makeOutput(perm.map((p) => x.shape[p]), x.dtype);
    transposeInto(backend, x, perm, out);
    return out;
  },
};

KERNELS.push(transpose);

const stockIdentity = tf.getKernel('Identity', 'wasm');
const identity: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  setupFunc: stockIdentity?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string' || x.dtype === 'complex64') return stockIdentity!.kernelFunc(args);
    return identityShared(args.backend as unknown as { incRef(d: object): void }, x);
  },
};

const stockUnpack = tf.getKernel('Unpack', 'wasm');
const unpack: KernelConfig = {
  kernelName: 'Unpack',
  backendName: 'wasm',
  setupFunc: stockUnpack?.setupFunc,
  kernelFunc: (args) => {
    const { value } = args.inputs as { value: TensorInfo };
    if (value.dtype !== 'float32' && value.dtype !== 'int32') return stockUnpack!.kernelFunc(args);
    return unpackWasm(wasmOf(args), value, (args.attrs as { axis: number }).axis);
  },
};

const stockSum = tf.getKernel('Sum', 'wasm');
const sum: KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  setupFunc: stockSum?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    return sumWasm(wasmOf(args), x, axis, keepDims) ?? stockSum!.kernelFunc(args);
  },
};

const stockTanh = tf.getKernel('Tanh', 'wasm');
const tanh: KernelConfig = {
  kernelName: 'Tanh',
  backendName: 'wasm',
  setupFunc: stockTanh?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') return stockTanh!.kernelFunc(args);
    return tanhWasm(wasmOf(args), x);
  },
};

KERNELS.push(identity, unpack, sum, tanh);

/** Cast to the same dtype (every `mul` gradient casts its other operand) shares the data. */
const stockCast = tf.getKernel('Cast', 'wasm');
const cast: KernelConfig = {
  kernelName: 'Cast',
  backendName: 'wasm',
  setupFunc: stockCast?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === (args.attrs as { dtype: string }).dtype && x.dtype !== 'string' && x.dtype !== 'complex64') {
      return identityShared(args.backend as unknown as { incRef(d: object): void }, x);
    }
    return stockCast!.kernelFunc(args);
  },
};

/** Tile of a single value (scalars broadcast by `where`, e.g. attention masks) is a fill. */
const stockTile = tf.getKernel('Tile', 'wasm');
const tile: KernelConfig = {
  kernelName: 'Tile',
  backendName: 'wasm',
  setupFunc: stockTile?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const reps = (args.attrs as { reps: number[] }).reps;
    if (tf.util.sizeFromShape(x.shape) !== 1 || (x.dtype !== 'float32' && x.dtype !== 'int32')) return stockTile!.kernelFunc(args);
    const backend = wasmOf(args);
    const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]), x.dtype);
    const src = x.dtype === 'float32' ? heapF32(backend, x) : heapI32(backend, x);
    (out.dtype === 'float32' ? heapF32(backend, out) : heapI32(backend, out)).fill(src[0]);
    return out;
  },
};

KERNELS.push(cast, tile);

const stockGather = tf.getKernel('GatherV2', 'wasm');
const gather: KernelConfig = {
  kernelName: 'GatherV2',
  backendName: 'wasm',
  setupFunc: stockGather?.setupFunc,
  kernelFunc: (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    return gatherWasm(wasmOf(args), x, indices, axis, batchDims ?? 0) ?? stockGather!.kernelFunc(args);
  },
};

KERNELS.push(gather);
