/**
 * tensor-core's native kernels (the addon in packages/tensor-core/native), wired into the seams
 * that choose them: AdamW's update kernel on wasm and cpu. Each falls back to its tfjs version
 * when the addon is absent or the native path is switched off (`useNativeMatmul(false)`,
 * HEALTHGPT_NATIVE=0).
 */
import { registerAdamWKernel } from '../optim/adamw_kernel.js';
import { nativeAdamWKernel } from './adamw.js';

let done = false;

export function registerNativeKernels(): void {
  if (done) return;
  done = true;
  registerAdamWKernel('wasm', nativeAdamWKernel);
  registerAdamWKernel('cpu', nativeAdamWKernel);
}

registerNativeKernels();

export { nativeAdamWKernel } from './adamw.js';
