/**
 * Attention read in place from a fused q/k/v projection, through the native addon under a gradient
 * tape: one kernel forward (RoPE on q and k, scores, mask, softmax, ·v, heads merged) and one
 * backward writing the projection's whole gradient, instead of the splits, head transposes, RoPE,
 * attention and merge of `qkvHeads` → `scaledDotProductAttention` → `mergeHeads` and their
 * gradients (~14 kernels each way). Registered as `HealthgptQkvAttentionNative` and
 * `HealthgptQkvAttentionNativeGrad` on wasm and cpu; `nn/qkv_heads.ts`' `qkvAttention` takes this
 * path when the addon is loaded and the native path is on.
 */
import { tf, type Tensor } from '../tf.js';
import { nativeKernels, type NativeAddon } from '../kernels/native.js';
import { nativeBackend, operands, type Operand } from './operands.js';
import type { TensorInfo } from '../kernels/wasm_heap.js';

export const QKV_ATTENTION_KERNEL = 'HealthgptQkvAttentionNative';
export const QKV_ATTENTION_GRAD_KERNEL = 'HealthgptQkvAttentionNativeGrad';

type Addon = NativeAddon & Required<Pick<NativeAddon, 'qkvAttention' | 'qkvAttentionGrad'>>;

function addon(): Addon | null {
  const a = nativeKernels();
  return a?.qkvAttention && a.qkvAttentionGrad ? (a as Addon) : null;
}

interface Attrs {
  heads: number;
  kvHeads: number;
  t: number;
  scale: number;
}

/** The shape arguments of both kernels: b, h, hkv, t, d, scale, biasB, biasQ, ropeB. */
function shapeArgs(x: TensorInfo, cos: TensorInfo, bias: TensorInfo | undefined, a: Attrs): [number, number, number, number, number, number, number, number, number] {
  const d = x.shape[1] / (a.heads + 2 * a.kvHeads);
  return [x.shape[0] / a.t, a.heads, a.kvHeads, a.t, d, a.scale, bias ? bias.shape[0] : 0, bias ? bias.shape[2] : 1, cos.shape[0]];
}

function forwardKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, cos, sin, bias } = inputs as unknown as Record<'x' | 'cos' | 'sin', TensorInfo> & { bias?: TensorInfo };
    const a = attrs as unknown as Attrs;
    const b = x.shape[0] / a.t;
    const d = x.shape[1] / (a.heads + 2 * a.kvHeads);
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, bias ? [x, cos, sin, bias] : [x, cos, sin], [[x.shape[0], a.heads * d], [b, a.heads, a.t, a.t]]);
    const [xo, co, so] = ins;
    const bo: Operand = bias ? ins[3] : xo;
    const [o, p] = outOps;
    addon()!.qkvAttention(xo.array, xo.offset, co.array, co.offset, so.array, so.offset, bo.array, bo.offset, o.array, o.offset, p.array, p.offset, ...shapeArgs(x, cos, bias, a));
    return outs;
  };
}

function gradKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, cos, sin, probs, dy, bias } = inputs as unknown as Record<'x' | 'cos' | 'sin' | 'probs' | 'dy', TensorInfo> & { bias?: TensorInfo };
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, bias ? [x, cos, sin, probs, dy, bias] : [x, cos, sin, probs, dy], [x.shape]);
    const [xo, co, so, po, dyo] = ins;
    const bo: Operand = bias ? ins[5] : xo;
    const [dx] = outOps;
    addon()!.qkvAttentionGrad(xo.array, xo.offset, co.array, co.offset, so.array, so.offset, po.array, po.offset, dyo.array, dyo.offset, bo.array, bo.offset, dx.array, dx.offset, ...shapeArgs(x, cos, bias, attrs as unknown as Attrs));
    return outs;
  };
}

function register(): void {
  for (const name of ['wasm', 'cpu'] as const) {
    if (!tf.getKernel(QKV_ATTENTION_KERNEL, name)) tf.registerKernel({ kernelName: QKV_ATTENTION_KERNEL, backendName: name, kernelFunc: forwardKernel(name) });
    if (!tf.getKernel(QKV_ATTENTION_GRAD_KERNEL, name)) tf.registerKernel({ kernelName: QKV_ATTENTION_GRAD_KERNEL, backendName: name, kernelFunc: gradKernel(name) });
  }
}

/**
 * Whether the native kernel serves x [B·t, (H + 2·Hkv)·d] (d even), tables [1|B, 1, t, d] and a
 * mask [1|B, 1, 1|t, t] or none, all float32, on the active backend (shapes checked by the caller).
 */
export function nativeQkvAttentionServes(x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor | null, t: number): boolean {
  const backend = tf.getBackend();
  if ((backend !== 'wasm' && backend !== 'cpu') || addon() === null) return false;
  const b = x.shape[0] / t;
  const maskOk = !mask || (mask.dtype === 'float32' && mask.rank === 4 && (mask.shape[0] === 1 || mask.shape[0] === b) && mask.shape[1] === 1 && (mask.shape[2] === 1 || mask.shape[2] === t) && mask.shape[3] === t);
  return [x, cos, sin].every((v) => v.dtype === 'float32') && x.size > 0 && maskOk;
}

type GradFn = Parameters<typeof tf.customGrad>[0];
type Op = (x: Tensor, cos: Tensor, sin: Tensor, mask?: Tensor) => Tensor;

const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: Attrs) => tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as Tensor[];

// The tables and the mask are constants (zero gradients), saved for the backward with the probabilities.
function makeOp(attrs: Attrs, withMask: boolean): Op {
  const body = (x: Tensor, cos: Tensor, sin: Tensor, ...rest: unknown[]) => {
    const mask = withMask ? (rest[0] as Tensor) : undefined;
    const save = rest[withMask ? 1 : 0] as (t: Tensor[]) => void;
    const [out, probs] = run(QKV_ATTENTION_KERNEL, mask ? { x, cos, sin, bias: mask } : { x, cos, sin }, attrs);
    save(mask ? [x, cos, sin, probs, mask] : [x, cos, sin, probs]);
    return {
      value: out,
      gradFunc: (dy: Tensor, [sx, sc, ss, sp, sm]: Tensor[]) => {
        const [dx] = run(QKV_ATTENTION_GRAD_KERNEL, sm ? { x: sx, cos: sc, sin: ss, probs: sp, dy, bias: sm } : { x: sx, cos: sc, sin: ss, probs: sp, dy }, attrs);
        return [dx, tf.zerosLike(sc), tf.zerosLike(ss), ...(sm ? [tf.zerosLike(sm)] : [])];
      },
    };
  };
  return tf.customGrad(body as unknown as GradFn) as unknown as Op;
}

/** softmax(rope(q)·rope(k)ᵀ·scale + mask)·v from x's q/k/v columns, heads merged [B·t, H·d]; check `nativeQkvAttentionServes` first. */
export function nativeQkvAttention(x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor | null, attrs: Attrs): Tensor {
  register();
  return mask ? makeOp(attrs, true)(x, cos, sin, mask) : makeOp(attrs, false)(x, cos, sin);
}
