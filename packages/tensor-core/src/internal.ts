/**
 * `@healthgpt/tensor-core/internal`: the plumbing behind the public API, for the other packages of
 * HealthGPT.ts and for tests. **Unstable**: anything here may change or disappear in any release,
 * without a changeset marking it breaking. Users import from `@healthgpt/tensor-core` (or `/base`).
 *
 * What is here: the kernel registration seams (AdamW's update kernel, the registered tfjs kernels,
 * the native addon's BLAS handle), the int8 quantisation kernel and its parameters, the
 * safetensors header codec and streaming writer, the safe file opener and JSON reader, the folder
 * commit journal and name checks, the lower steps of a header-first load, and small checks the
 * error messages are built from.
 */
import './kernels/register.js';
import './native/index.js';
export { registeredKernels } from './kernels/register.js';
export { nativeBlas, type NativeBlas } from './kernels/native.js';
export { matmulPath, speedHint, blasLabel, blasInstallCommand, PREBUILT_PLATFORMS } from './backend_report.js';
export { tfjsAdamWKernel, registerAdamWKernel, adamWKernelFor } from './optim/adamw_kernel.js';
export { nativeAdamWKernel } from './native/index.js';
export { int8Linear, quantizeInt8, dequantizeInt8, INT8_DIRECT_ROWS, type Int8Weights } from './nn/int8_linear.js';
export { sameShape } from './module.js';
export { routedMix } from './nn/routed_mix.js';
export { fans } from './random.js';
export { describeContext } from './base/errors.js';
export { describeMismatch, checkRank } from './errors.js';
export { syncDir } from './base/atomic.js';
export * from './io/internal.js';
