/**
 * Public API of tensor-core's kernels (they register themselves when tensor-core is imported).
 * The addon's raw handle, its ABI number and the platform key stay inside the package: they are
 * plumbing of the native path, reported to users through `nativeStatus()` and `backendInfo()`.
 */
export { registeredKernels } from './register.js';
export { nativeBlas, nativeStatus, useNativeMatmul, type NativeBlas, type NativeStatus, type BlasInfo } from './native.js';
