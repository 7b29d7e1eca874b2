/** Public API of tensor-core's kernels (they register themselves when tensor-core is imported). */
export { registerKernels, registeredKernels } from './register.js';
export { fusedGeluTanh, fusedCrossEntropy } from './fused.js';
export { nativeBlas, useNativeMatmul, type NativeBlas } from './native.js';
