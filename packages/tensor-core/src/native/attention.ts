/**
 * Scaled dot-product attention through the native addon under a gradient tape: one kernel forward
 * (scores, scale, mask, softmax and the product with v; blocks of queries skip the keys their mask
 * hides) and one backward, instead of ~6 kernels forward and ~10 backward in tfjs. Registered as
 * `HealthgptAttentionNative` and `HealthgptAttentionNativeGrad` on wasm and cpu; `nn/attention.ts`'
 * `scaledDotProductAttention` takes this path for float32 inputs without dropout whose mask is
 * shared by the heads, when the addon is loaded and the native path is on.
 */
import { tf, type Tensor } from '../tf.js';
import { nativeKernels, type NativeAddon } from '../kernels/native.js';
import { nativeBackend, operands, type Operand } from './operands.js';
import type { TensorInfo } from '../kernels/wasm_heap.js';

export const ATTENTION_KERNEL = 'HealthgptAttentionNative';
export const ATTENTION_GRAD_KERNEL = 'HealthgptAttentionNativeGrad';

type Addon = NativeAddon & Required<Pick<NativeAddon, 'attention' | 'attentionGrad'>>;

function addon(): Addon | null {
  const a = nativeKernels();
  return a?.attention && a.attentionGrad ? (a as Addon) : null;
}

/** The shape arguments of both kernels: b, h, hkv, tq, tk, d, scale, biasB, biasQ. */
function shapeArgs(q: TensorInfo, k: TensorInfo, bias: TensorInfo | undefined, scale: number): number[] {
  const [b, h, tq, d] = q.shape;
  const [, hkv, tk] = k.shape;
  return [b, h, hkv, tq, tk, d, scale, bias ? bias.shape[0] : 0, bias ? bias.shape[2] : 1];
}

function forwardKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v, bias } = inputs as unknown as { q: TensorInfo; k: TensorInfo; v: TensorInfo; bias?: TensorInfo };
    const probsShape = [...q.shape.slice(0, 3), k.shape[2]];
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, bias ? [q, k, v, bias] : [q, k, v], [q.shape, probsShape]);
    const bo: Operand = bias ? ins[3] : ins[0];
    const [o, p] = outOps;
    addon()!.attention(ins[0].array, ins[0].offset, ins[1].array, ins[1].offset, ins[2].array, ins[2].offset, bo.array, bo.offset, o.array, o.offset, p.array, p.offset,
      ...(shapeArgs(q, k, bias, (attrs as { scale: number }).scale) as [number, number, number, number, number, number, number, number, number]));
    return outs;
  };
}

function gradKernel(name: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v, probs, dy, bias } = inputs as unknown as { q: TensorInfo; k: TensorInfo; v: TensorInfo; probs: TensorInfo; dy: TensorInfo; bias?: TensorInfo };
    const { outs, ins, outOps } = operands(nativeBackend(name, backend)!, bias ? [q, k, v, probs, dy, bias] : [q, k, v, probs, dy], [q.shape, k.shape, v.shape]);
    const bo: Operand = bias ? ins[5] : ins[0];
    const [dq, dk, dv] = outOps;
    addon()!.attentionGrad(ins[0].array, ins[0].offset, ins[1].array, ins[1].offset, ins[2].array, ins[2].offset, ins[3].array, ins[3].offset, ins[4].array, ins[4].offset,
      bo.array, bo.offset, dq.array, dq.offset, dk.array, dk.offset, dv.array, dv.offset,
      ...(shapeArgs(q, k, bias, (attrs as { scale: number }).scale) as [number, number, number, number, number, number, number, number, number]));
    return outs;
  };
}

function register(): void {
  for (const name of ['wasm', 'cpu'] as const) {
    if (!tf.getKernel(ATTENTION_KERNEL, name)) tf.registerKernel({ kernelName: ATTENTION_KERNEL, backendName: name, kernelFunc: forwardKernel(name) });
    if (!tf.getKernel(ATTENTION_GRAD_KERNEL, name)) tf.registerKernel({ kernelName: ATTENTION_GRAD_KERNEL, backendName: name, kernelFunc: gradKernel(name) });
  }
}

/**
 * Whether the native attention serves q [B, H, Tq, D], k and v [B, Hkv, Tk, D] (H a multiple of
 * Hkv, v's head size equal to D) with an optional bias [1|B, 1, 1|Tq, Tk], all float32, on the
 * active backend.
 */
export function nativeAttentionServes(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | null): boolean {
  const backend = tf.getBackend();
  if ((backend !== 'wasm' && backend !== 'cpu') || addon() === null) return false;
  const [b, h, tq, d] = q.shape;
  const [, hkv, tk] = k.shape;
  const biasOk = !bias || (bias.dtype === 'float32' && bias.rank === 4 && (bias.shape[0] === 1 || bias.shape[0] === b) && bias.shape[1] === 1 && (bias.shape[2] === 1 || bias.shape[2] === tq) && bias.shape[3] === tk);
  return [q, k, v].every((t) => t.dtype === 'float32' && t.rank === 4) && q.size > 0 && k.size > 0 && v.shape.join() === k.shape.join() && k.shape[3] === d && h % hkv === 0 && biasOk;
}

const run = (kernel: string, inputs: tf.NamedTensorMap, scale: number) => tf.engine().runKernel(kernel, inputs, { scale }) as unknown as Tensor[];

type GradFn = Parameters<typeof tf.customGrad>[0];
type Op = (q: Tensor, k: Tensor, v: Tensor, bias?: Tensor) => Tensor;

// The probabilities (and the bias, which may come from a scope that has ended by then) are saved for
// the backward; the bias is a mask, a constant: its gradient is zero.
function makeOp(scale: number, withBias: boolean): Op {
  const body = (q: Tensor, k: Tensor, v: Tensor, ...rest: unknown[]) => {
    const bias = withBias ? (rest[0] as Tensor) : undefined;
    const save = rest[withBias ? 1 : 0] as (t: Tensor[]) => void;
    const inputs: tf.NamedTensorMap = bias ? { q, k, v, bias } : { q, k, v };
    const [out, probs] = run(ATTENTION_KERNEL, inputs, scale);
    save(bias ? [q, k, v, probs, bias] : [q, k, v, probs]);
    return {
      value: out,
      gradFunc: (dy: Tensor, [sq, sk, sv, sp, sb]: Tensor[]) => {
        const grads = run(ATTENTION_GRAD_KERNEL, sb ? { q: sq, k: sk, v: sv, probs: sp, dy, bias: sb } : { q: sq, k: sk, v: sv, probs: sp, dy }, scale);
        return sb ? [...grads, tf.zerosLike(sb)] : grads;
      },
    };
  };
  return tf.customGrad(body as unknown as GradFn) as unknown as Op;
}

/** softmax(q·kᵀ·scale + bias)·v with the native forward and backward (the bias gets a zero gradient); check `nativeAttentionServes` first. */
export function nativeAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | null, scale: number): Tensor {
  register();
  return bias ? makeOp(scale, true)(q, k, v, bias) : makeOp(scale, false)(q, k, v);
}
