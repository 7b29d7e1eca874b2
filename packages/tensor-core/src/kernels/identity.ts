/**
 * Identity for the wasm backend without a copy. The stock kernel copies the whole tensor, and
 * autodiff calls it constantly (gradient pass-throughs, clones): ~7 % of a training step. Tensors
 * are immutable and variables swap data ids on assign, so sharing the data (one more reference)
 * is safe, as the cpu backend does.
 */
import { tf } from '../tf.js';
import type { TensorInfo } from './wasm_heap.js';

interface RefCounting {
  incRef(dataId: object): void;
}

export function identityShared(backend: RefCounting, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const stockIdentity = tf.getKernel('Identity', 'wasm');

export const identityWasmConfig: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  setupFunc: stockIdentity?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string' || x.dtype === 'complex64') return stockIdentity!.kernelFunc(args);
    return identityShared(args.backend as unknown as RefCounting, x);
  },
};

const stockCast = tf.getKernel('Cast', 'wasm');

/** Cast to the same dtype (every `mul` gradient casts its other operand) shares the data. */
export const castWasmConfig: tf.KernelConfig = {
  kernelName: 'Cast',
  backendName: 'wasm',
  setupFunc: stockCast?.setupFunc,
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === (args.attrs as { dtype: string }).dtype && x.dtype !== 'string' && x.dtype !== 'complex64') {
      return identityShared(args.backend as unknown as RefCounting, x);
    }
    return stockCast!.kernelFunc(args);
  },
};
