/**
 * RMSNorm through the native addon: one pass forward (y and the per-row 1/σ it saves) and one
 * backward (dx and dw), instead of ~6 and ~8 tfjs kernels. Registered as the kernels
 * `HealthgptRmsNormNative` and `HealthgptRmsNormNativeGrad` on wasm and cpu; `nn/norms_fused.ts` takes this
 * path for float32 input with a [D] weight when the addon is loaded and the native path is on.
 */
import { tf, type Tensor } from '../tf.js';
import { nativeKernels, type NativeAddon } from '../kernels/native.js';
import { nativeBackend, operands } from './operands.js';
import type { TensorInfo } from '../kernels/wasm_heap.js';

export const RMS_NORM_KERNEL = 'HealthgptRmsNormNative';
export const RMS_NORM_GRAD_KERNEL = 'HealthgptRmsNormNativeGrad';

type Addon = NativeAddon & Required<Pick<NativeAddon, 'rmsNorm' | 'rmsNormGrad'>>;

function addon(): Addon | null {
  const a = nativeKernels();
  return a?.rmsNorm && a.rmsNormGrad ? (a as Addon) : null;
}

const rowsOf = (shape: number[]) => tf.util.sizeFromShape(shape.slice(0, -1));

function forwardKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, weight } = inputs as unknown as Record<'x' | 'weight', TensorInfo>;
    const d = x.shape[x.shape.length - 1];
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, [x, weight], [x.shape, [...x.shape.slice(0, -1), 1]]);
    const [xo, wo] = ins;
    const [yo, ro] = outOps;
    addon()!.rmsNorm(xo.array, xo.offset, wo.array, wo.offset, yo.array, yo.offset, ro.array, ro.offset, rowsOf(x.shape), d, (attrs as unknown as { eps: number }).eps);
    return outs;
  };
}

function gradKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, x, r, weight } = inputs as unknown as Record<'dy' | 'x' | 'r' | 'weight', TensorInfo>;
    const d = x.shape[x.shape.length - 1];
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, [dy, x, r, weight], [x.shape, [d]]);
    const [dyo, xo, rOp, wo] = ins;
    const [dxo, dwo] = outOps;
    addon()!.rmsNormGrad(dyo.array, dyo.offset, xo.array, xo.offset, rOp.array, rOp.offset, wo.array, wo.offset, dxo.array, dxo.offset, dwo.array, dwo.offset, rowsOf(x.shape), d);
    return outs;
  };
}

function register(): void {
  for (const name of ['wasm', 'cpu'] as const) {
    if (!tf.getKernel(RMS_NORM_KERNEL, name)) tf.registerKernel({ kernelName: RMS_NORM_KERNEL, backendName: name, kernelFunc: forwardKernel(name) });
    if (!tf.getKernel(RMS_NORM_GRAD_KERNEL, name)) tf.registerKernel({ kernelName: RMS_NORM_GRAD_KERNEL, backendName: name, kernelFunc: gradKernel(name) });
  }
}

/** Whether the native RMSNorm serves x and weight on the active backend (float32, weight [D]). */
export function nativeRmsNormServes(x: Tensor, weight: Tensor | null): weight is Tensor {
  const backend = tf.getBackend();
  const d = x.shape[x.rank - 1];
  return (backend === 'wasm' || backend === 'cpu') && addon() !== null && weight !== null && x.dtype === 'float32' && weight.dtype === 'float32' && x.rank >= 1 && d > 0 && weight.rank === 1 && weight.shape[0] === d;
}

type GradFn = Parameters<typeof tf.customGrad>[0];
const OPS = new Map<number, (x: Tensor, w: Tensor) => Tensor>();

function makeOp(eps: number): (x: Tensor, w: Tensor) => Tensor {
  return tf.customGrad(((x: Tensor, w: Tensor, save: (t: Tensor[]) => void) => {
    const [y, r] = tf.engine().runKernel(RMS_NORM_KERNEL, { x, weight: w }, { eps } as unknown as tf.NamedAttrMap) as Tensor[];
    save([x, r, w]);
    return {
      value: y,
      gradFunc: (dy: Tensor, [sx, sr, sw]: Tensor[]) => tf.engine().runKernel(RMS_NORM_GRAD_KERNEL, { dy, x: sx, r: sr, weight: sw }) as Tensor[],
    };
  }) as unknown as GradFn) as unknown as (x: Tensor, w: Tensor) => Tensor;
}

/** w · x · rsqrt(mean(x², −1) + eps) with the native forward and backward; check `nativeRmsNormServes` first. */
export function nativeRmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  register();
  let op = OPS.get(eps);
  if (!op) {
    op = makeOp(eps);
    if (OPS.size > 64) OPS.clear();
    OPS.set(eps, op);
  }
  return op(x, weight);
}
