/** Typed access to the cpu backend's tensor data, for the cpu kernels tensor-core registers. */
import { tf } from '../tf.js';
import type { TensorInfo } from './wasm_heap.js';

export interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): TensorInfo;
}

export const cpuOf = (args: Parameters<tf.KernelFunc>[0]): CpuBackend => args.backend as unknown as CpuBackend;
