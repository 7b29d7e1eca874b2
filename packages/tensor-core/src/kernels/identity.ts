/**
 * Identity for the wasm backend without a copy. The stock kernel copies the whole tensor, and
 * autodiff calls it constantly (gradient pass-throughs, clones): ~7 % of a training step. Tensors
 * are immutable and variables swap data ids on assign, so sharing the data (one more reference)
 * is safe, as the cpu backend does.
 */
import type { TensorInfo } from './wasm_heap.js';

interface RefCounting {
  incRef(dataId: object): void;
}

export function identityShared(backend: RefCounting, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
