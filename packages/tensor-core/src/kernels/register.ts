/**
 * Registers tensor-core's kernels with TensorFlow.js on import: fast replacements for slow wasm
 * kernels and the ones wasm lacks. Overriding a kernel unregisters the stock one first. Calling
 * `registerKernels()` again is a no-op.
 */
import { tf } from '../tf.js';
import { KERNELS } from './configs.js';

let done = false;

/** Names of the kernels tensor-core registered, as `Kernel/backend`. */
export const registeredKernels: string[] = [];

export function registerKernels(): void {
  if (done) return;
  done = true;
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
    registeredKernels.push(`${config.kernelName}/${config.backendName}`);
  }
}

registerKernels();
