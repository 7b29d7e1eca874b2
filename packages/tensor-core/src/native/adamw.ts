/**
 * AdamW in one native pass per parameter: p, g, m and v are read once and p, m and v written once
 * (tfjs needs ~12 elementwise ops per parameter), split over the addon's threads. The arithmetic is
 * torch.optim.AdamW's, in float32 and in the same order. Registered as the kernel
 * `HealthgptAdamW` on wasm and cpu; `nativeAdamW` is the optimizer's update seam.
 */
import { tf, type Tensor } from '../tf.js';
import { nativeKernels } from '../kernels/native.js';
import type { AdamWEntry, AdamWKernel } from '../optim/adamw_kernel.js';
import { passAdamWKernel } from '../optim/adamw_pass.js';
import { nativeBackend, operands } from './operands.js';
import type { TensorInfo } from '../kernels/wasm_heap.js';

export const ADAMW_KERNEL = 'HealthgptAdamW';

/** The kernel's attributes: the step's hyper-parameters and the parameter's step t ≥ 1. */
export type AdamWAttrs = Pick<AdamWEntry, 'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'step'>;

function kernelFunc(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const addon = nativeKernels()!;
    const { param, grad, m, v } = inputs as unknown as Record<'param' | 'grad' | 'm' | 'v', TensorInfo>;
    const a = attrs as unknown as AdamWAttrs;
    const n = tf.util.sizeFromShape(param.shape);
    const b = nativeBackend(name, backend)!;
    const { outs, ins, outOps } = operands(b, [param, grad, m, v], [param.shape, param.shape, param.shape]);
    const [p, g, m0, v0] = ins;
    const [po, mo, vo] = outOps;
    const bc1 = 1 - a.beta1 ** a.step;
    const bc2 = 1 - a.beta2 ** a.step;
    addon.adamw(p.array, p.offset, g.array, g.offset, m0.array, m0.offset, v0.array, v0.offset, po.array, po.offset, mo.array, mo.offset, vo.array, vo.offset, n, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, bc1, bc2);
    return outs;
  };
}

/** Register the kernel on wasm and cpu (once, when the addon is loaded). */
export function registerAdamWKernels(): void {
  for (const name of ['wasm', 'cpu'] as const) {
    if (!tf.getKernel(ADAMW_KERNEL, name)) tf.registerKernel({ kernelName: ADAMW_KERNEL, backendName: name, kernelFunc: kernelFunc(name) });
  }
}

/** One parameter's step as the optimizer hands it over (its moments are replaced by the new ones). */
export type AdamWSlot = Omit<AdamWEntry, 'name'>;

/** Whether the native AdamW can run `slot` on the active backend. */
export function nativeAdamWServes(slot: AdamWSlot): boolean {
  const backend = tf.getBackend();
  return (backend === 'wasm' || backend === 'cpu') && nativeKernels() !== null && slot.param.dtype === 'float32' && slot.grad.dtype === 'float32' && slot.expAvg.dtype === 'float32' && slot.expAvgSq.dtype === 'float32';
}

/** Apply one AdamW step to `slot` with the native kernel: the parameter is assigned, the moments swapped. */
export function nativeAdamWStep(slot: AdamWSlot): void {
  registerAdamWKernels();
  const { lr, beta1, beta2, eps, weightDecay, step } = slot;
  const attrs = { lr, beta1, beta2, eps, weightDecay, step };
  const [p, m, v] = tf.engine().runKernel(ADAMW_KERNEL, { param: slot.param, grad: slot.grad, m: slot.expAvg, v: slot.expAvgSq }, attrs as unknown as tf.NamedAttrMap) as Tensor[];
  slot.param.assign(p);
  p.dispose();
  slot.expAvg.dispose();
  slot.expAvgSq.dispose();
  slot.expAvg = tf.keep(m);
  slot.expAvgSq = tf.keep(v);
}

/**
 * The optimizer's update seam on wasm and cpu: every parameter the native kernel serves goes
 * through it, the rest (and everything when the native path is off) through the one-pass kernel
 * of optim/adamw_pass.ts (WebAssembly SIMD on wasm, a loop on cpu).
 */
export const nativeAdamWKernel: AdamWKernel = {
  get name() {
    return nativeKernels() ? 'native' : passAdamWKernel.name;
  },
  update(entries: readonly AdamWEntry[]) {
    const rest: AdamWEntry[] = [];
    for (const e of entries) {
      if (nativeAdamWServes(e)) nativeAdamWStep(e);
      else rest.push(e);
    }
    if (rest.length) passAdamWKernel.update(rest);
  },
};
