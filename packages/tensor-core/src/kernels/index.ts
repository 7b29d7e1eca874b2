/** Public API of tensor-core's kernels (they register themselves when tensor-core is imported). */
export { registerKernels, registeredKernels } from './register.js';
export { nativeBlas, nativeAddon, nativeKernels, nativeStatus, useNativeMatmul, platformKey, NATIVE_ABI, type NativeBlas, type NativeAddon, type NativeStatus, type BlasInfo } from './native.js';
