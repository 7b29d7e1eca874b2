/**
 * Registers tensor-core's kernels with TensorFlow.js on import: fast replacements for slow wasm
 * kernels and the ones wasm lacks. Each config lives beside its kernel. Overriding a kernel
 * unregisters the stock one first. Calling `registerKernels()` again is a no-op.
 */
import { tf } from '../tf.js';
import { batchMatMulWasmConfig } from './batch_matmul.js';
import { batchMatMulCpuConfig } from './batch_matmul_cpu.js';
import { segmentSumWasmConfig, segmentSumCpuConfig } from './unsorted_segment_sum.js';
import { conv2DBackpropFilterWasmConfig } from './conv2d_backprop_filter.js';
import { einsumWasmConfig } from './einsum.js';
import { transposeWasmConfig } from './transpose.js';
import { identityWasmConfig, castWasmConfig } from './identity.js';
import { unpackWasmConfig } from './unpack.js';
import { sumWasmConfig } from './sum.js';
import { tanhWasmConfig } from './tanh.js';
import { tileWasmConfig } from './tile.js';
import { gatherWasmConfig } from './gather.js';
import { splitVWasmConfig } from './split.js';
import { concatWasmConfig } from './concat.js';
import { im2colWasmConfigs, im2colCpuConfigs } from './im2col.js';
import { fusedStepConfigs, fusedConfigs } from './fused_step.js';
import { ROUTED_MIX } from './routed_mix.js';
import { ROTARY_GRAD } from './rotary_grad.js';
import { QKV_HEADS_GRAD_KERNEL, registerQkvHeadsGradient } from './qkv_heads_grad.js';
import { int8RowsConfigs } from './int8_rows.js';
import { cachedAttentionConfigs } from './cached_attention.js';
import { rmsNormSimdConfigs } from './rms_norm_simd.js';
import { siluGateSimdConfigs } from './silu_gate_simd.js';

const KERNELS: tf.KernelConfig[] = [
  batchMatMulWasmConfig,
  batchMatMulCpuConfig,
  segmentSumWasmConfig,
  segmentSumCpuConfig,
  conv2DBackpropFilterWasmConfig,
  einsumWasmConfig,
  transposeWasmConfig,
  identityWasmConfig,
  castWasmConfig,
  unpackWasmConfig,
  sumWasmConfig,
  tanhWasmConfig,
  tileWasmConfig,
  gatherWasmConfig,
  splitVWasmConfig,
  concatWasmConfig,
  ...im2colWasmConfigs,
  ...im2colCpuConfigs,
  ...fusedStepConfigs,
  ...fusedConfigs(ROUTED_MIX),
  ...fusedConfigs([ROTARY_GRAD, QKV_HEADS_GRAD_KERNEL]),
  ...int8RowsConfigs,
  ...cachedAttentionConfigs,
  ...rmsNormSimdConfigs,
  ...siluGateSimdConfigs,
];

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
  registerQkvHeadsGradient();
}

registerKernels();
