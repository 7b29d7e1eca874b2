/**
 * AdamW for every parameter of an optimizer step in one native call: each parameter's p, g, m and
 * v are read once, the new parameter written once to a fresh tensor (a Variable's data stays
 * immutable, so nothing cached from its old value can go stale) and the moments updated in place
 * (tfjs needs ~12 elementwise ops and three new tensors per parameter). The work is shared across
 * the addon's threads in blocks. The arithmetic is torch.optim.AdamW's, in float32 and in the same
 * order, so the result does not depend on how the step is split. Registered as the kernel
 * `HealthgptAdamW` on wasm and cpu; `nativeAdamWKernel` is the optimizer's update seam.
 */
import { tf, type Tensor } from '../tf.js';
import { nativeKernels } from '../kernels/native.js';
import type { AdamWEntry, AdamWKernel } from '../optim/adamw_kernel.js';
import { passAdamWKernel } from '../optim/adamw_pass.js';
import { nativeBackend, operands } from './operands.js';
import type { TensorInfo } from '../kernels/wasm_heap.js';

export const ADAMW_KERNEL = 'HealthgptAdamW';

/** The kernel's attributes: per parameter, in input order, its step's hyper-parameters and its step t ≥ 1. */
export type AdamWAttrs = { [K in 'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'step']: number[] };

/** Numbers per parameter in the addon's table (see `NativeKernels.adamw`). */
const ROW = 22;

function kernelFunc(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const addon = nativeKernels()!;
    const a = attrs as unknown as AdamWAttrs;
    const count = a.step.length;
    const named = inputs as unknown as Record<string, TensorInfo>;
    const ins: TensorInfo[] = [];
    for (let i = 0; i < count; i++) ins.push(named[`p${i}`], named[`g${i}`], named[`m${i}`], named[`v${i}`]);
    const { outs, ins: ops, outOps } = operands(nativeBackend(name, backend)!, ins, Array.from({ length: count }, (_, i) => ins[4 * i].shape));
    const arrays: Float32Array[] = [];
    const index = new Map<Float32Array, number>();
    const slot = (array: Float32Array) => {
      let k = index.get(array);
      if (k === undefined) index.set(array, (k = arrays.push(array) - 1));
      return k;
    };
    const table = new Float64Array(count * ROW);
    for (let i = 0; i < count; i++) {
      const [p, g, m, v] = ops.slice(4 * i, 4 * i + 4);
      // The new moments go to the old ones' storage: the optimizer owns them alone (`ownedAlone`).
      const row = [p, g, m, v, outOps[i], m, v].flatMap((o) => [slot(o.array), o.offset]);
      const bc1 = 1 - a.beta1[i] ** a.step[i];
      const bc2 = 1 - a.beta2[i] ** a.step[i];
      row.push(tf.util.sizeFromShape(ins[4 * i].shape), a.lr[i], a.beta1[i], a.beta2[i], a.eps[i], a.weightDecay[i], bc1, bc2);
      table.set(row, i * ROW);
    }
    addon.adamw(arrays, table);
    return outs;
  };
}

/** Register the kernel on wasm and cpu (once, when the addon is loaded). */
export function registerAdamWKernels(): void {
  for (const name of ['wasm', 'cpu'] as const) {
    if (!tf.getKernel(ADAMW_KERNEL, name)) tf.registerKernel({ kernelName: ADAMW_KERNEL, backendName: name, kernelFunc: kernelFunc(name) });
  }
}

/** One parameter's step as the optimizer hands it over (its moments are updated). */
export type AdamWSlot = Omit<AdamWEntry, 'name'>;

/** Whether the native AdamW can run `slot` on the active backend. */
export function nativeAdamWServes(slot: AdamWSlot): boolean {
  const backend = tf.getBackend();
  return (backend === 'wasm' || backend === 'cpu') && nativeKernels() !== null && slot.param.dtype === 'float32' && slot.grad.dtype === 'float32' && slot.expAvg.dtype === 'float32' && slot.expAvgSq.dtype === 'float32';
}

/**
 * `t` when no other tensor shares its data, else a copy of its own (kept; `t` is disposed): a
 * clone handed out by `stateDict`, or a tensor a caller of `loadStateDict` still holds, must not
 * see the moments change under it.
 */
function ownedAlone(t: Tensor): Tensor {
  if (tf.engine().backend.refCount(t.dataId) <= 1) return t;
  const copy = tf.keep(tf.tidy(() => tf.mul(t, tf.scalar(1))));
  t.dispose();
  return copy;
}

/** Apply one AdamW step to every slot in one native call: each parameter is assigned its new value, the moments are updated in place. */
export function nativeAdamWSteps(slots: readonly AdamWSlot[]): void {
  if (slots.length === 0) return;
  registerAdamWKernels();
  const inputs: Record<string, Tensor> = {};
  slots.forEach((s, i) => {
    s.expAvg = ownedAlone(s.expAvg);
    s.expAvgSq = ownedAlone(s.expAvgSq);
    Object.assign(inputs, { [`p${i}`]: s.param, [`g${i}`]: s.grad, [`m${i}`]: s.expAvg, [`v${i}`]: s.expAvgSq });
  });
  const attrs: AdamWAttrs = { lr: [], beta1: [], beta2: [], eps: [], weightDecay: [], step: [] };
  for (const s of slots) for (const k of Object.keys(attrs) as (keyof AdamWAttrs)[]) attrs[k].push(s[k]);
  const ps = tf.engine().runKernel(ADAMW_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as Tensor[];
  slots.forEach((s, i) => {
    s.param.assign(ps[i]);
    ps[i].dispose();
  });
}

/**
 * The optimizer's update seam on wasm and cpu: every parameter the native kernel serves goes
 * through it (one call), the rest (and everything when the native path is off) through the
 * one-pass kernel of optim/adamw_pass.ts (WebAssembly SIMD on wasm, a loop on cpu).
 */
export const nativeAdamWKernel: AdamWKernel = {
  get name() {
    return nativeKernels() ? 'native' : passAdamWKernel.name;
  },
  update(entries: readonly AdamWEntry[]) {
    const served: AdamWEntry[] = [];
    const rest: AdamWEntry[] = [];
    for (const e of entries) (nativeAdamWServes(e) ? served : rest).push(e);
    nativeAdamWSteps(served);
    if (rest.length) passAdamWKernel.update(rest);
  },
};
