/** BatchMatMul for the cpu backend through the native BLAS when it is built; the stock JS kernel otherwise. */
import { tf } from '../tf.js';
import { nativeBlas } from './native.js';
import { matMulDims } from './matmul_shapes.js';
import { nativeMatMul } from './matmul_native.js';
import { cpuOf } from './cpu_data.js';
import type { TensorInfo } from './wasm_heap.js';

const stock = tf.getKernel('BatchMatMul', 'cpu');

export const batchMatMulCpuConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'cpu',
  setupFunc: stock?.setupFunc,
  kernelFunc: (args) => {
    const blas = nativeBlas();
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const { m, n, k, kb } = matMulDims(a, b, transposeA, transposeB);
    if (!blas || a.dtype !== 'float32' || b.dtype !== 'float32' || k !== kb || m * n * k === 0) return stock!.kernelFunc(args);
    const backend = cpuOf(args);
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    const out = new Float32Array(tf.util.sizeFromShape(outer) * m * n);
    nativeMatMul(blas, backend.data.get(a.dataId).values as Float32Array, 0, backend.data.get(b.dataId).values as Float32Array, 0, out, 0, outer, outerA, outerB, m, n, k, transposeA, transposeB);
    return backend.makeTensorInfo([...outer, m, n], 'float32', out);
  },
};
