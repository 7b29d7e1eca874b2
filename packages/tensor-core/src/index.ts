/**
 * @healthgpt/tensor-core: the only package that imports TensorFlow.js. Everything else uses the
 * `tf` re-exported here, so one copy of tfjs is loaded. This entry is the public surface; kernel
 * registration, codecs and other plumbing are in `@healthgpt/tensor-core/internal` (unstable).
 */
export { tf } from './tf.js';
import './kernels/register.js';
import './native/index.js';
export { nativeStatus, useNativeMatmul, type NativeStatus, type BlasInfo } from './kernels/native.js';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Variable, Rank, DataType, TensorLike, NamedTensorMap, TypedArray } from './tf.js';
export * from './base/index.js';
export { initBackend, backendInfo, availableBackends, defaultWasmThreads, type BackendInfo, type BackendRequest, type InitBackendOptions } from './backend.js';
export type { MatmulPath, MatmulKind } from './backend_report.js';
export { Module, ModuleList, isModule, type TensorMap, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export * from './nn/index.js';
export { tidy } from './tidy.js';
export * from './optim/index.js';
export {
  manualSeed,
  getDefaultGenerator,
  uniform,
  normal,
  kaimingUniform,
  biasUniform,
} from './random.js';
export * from './io/index.js';
export { disposeOnThrow } from './dispose_on_throw.js';
