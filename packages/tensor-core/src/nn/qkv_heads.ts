import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { inferenceFusable, qkvHeadsInference } from '../kernels/fused_step.js';
import { mergeHeads, scaledDotProductAttention, splitHeads } from './attention.js';
import { nativeQkvAttention, nativeQkvAttentionServes } from '../native/qkv_attention.js';
import { applyRotary } from './rope.js';
import { nativeKernels } from '../kernels/native.js';
import { QKV_HEADS_GRAD } from '../kernels/qkv_heads_grad.js';
import { rotarySimdOn } from '../kernels/rotary_simd.js';
import { backendMemory } from '../kernels/wasm_simd.js';
import type { WasmBackend } from '../kernels/wasm_heap.js';

export interface QkvHeadsOptions {
  heads: number;
  kvHeads: number;
  /** Positions per batch row (x holds B·T rows). */
  t: number;
  /** Rotary tables [1|B, 1, T, headDim] (`RotaryEmbedding.tables`). */
  cos: Tensor;
  sin: Tensor;
}

/**
 * A fused q/k/v projection x [B·T, (H + 2·Hkv)·hd] (rows b·T + t; columns q heads, then k, then v)
 * in head layout: q [B, H, T, hd] and k [B, Hkv, T, hd] with RoPE applied, v [B, Hkv, T, hd]. One
 * kernel when no gradient is recorded (inference), and under a tape on wasm without the native
 * addon (one SIMD kernel each way, hd a multiple of 8); split, splitHeads and applyRotary otherwise.
 */
export function qkvHeads(x: Tensor, { heads: h, kvHeads: hkv, t, cos, sin }: QkvHeadsOptions): { q: Tensor; k: Tensor; v: Tensor } {
  const [n, w] = x.shape;
  const hd = w / (h + 2 * hkv);
  TensorCoreError.check(x.rank === 2 && Number.isInteger(hd) && hd % 2 === 0 && n % t === 0, 'ARGUMENT', () =>
    `'x' passed to 'qkvHeads' must be [B·${t}, (${h} + 2·${hkv})·headDim] with an even headDim, got [${x.shape.join(', ')}]`);
  const [cb, c1, ct, cd] = cos.shape;
  TensorCoreError.check(cos.rank === 4 && (cb === 1 || cb === n / t) && c1 === 1 && ct === t && cd === hd && sin.shape.join() === cos.shape.join(), 'ARGUMENT', () =>
    `'cos' and 'sin' passed to 'qkvHeads' must be [1|${n / t}, 1, ${t}, ${hd}], got [${cos.shape.join(', ')}] and [${sin.shape.join(', ')}]`);
  if (inferenceFusable('HealthgptQkvHeads', x, cos, sin) || qkvHeadsTrainable(x, cos, sin, hd)) {
    // The same kernel under a tape: its gradient is HealthgptQkvHeadsGrad (kernels/qkv_heads_grad.ts).
    const [q, k, v] = qkvHeadsInference(x, cos, sin, h, hkv, t);
    return { q, k, v };
  }
  return tf.tidy(() => {
    const [qk0, v0] = tf.split(x, [(h + hkv) * hd, hkv * hd], -1);
    const qk = applyRotary(splitHeads(qk0, h + hkv, t), cos, sin); // [B, H + Hkv, T, hd]
    const [q, k] = tf.split(qk, [h, hkv], 1);
    return { q, k, v: splitHeads(v0, hkv, t) };
  });
}

/**
 * Whether training (a tape recording) runs qkvHeads as one WebAssembly SIMD kernel each way: wasm
 * without the native addon (whose RoPE serves it otherwise), float32, hd a multiple of 8.
 */
function qkvHeadsTrainable(x: Tensor, cos: Tensor, sin: Tensor, hd: number): boolean {
  if (tf.getBackend() !== 'wasm' || nativeKernels() !== null || hd % 8 !== 0 || ![x, cos, sin].every((a) => a.dtype === 'float32' && a.size > 0)) return false;
  if (!tf.getKernel(QKV_HEADS_GRAD, 'wasm')) return false;
  const memory = backendMemory((tf.backend() as unknown as WasmBackend).wasm);
  return memory !== null && rotarySimdOn(memory) !== null;
}

/** `qkvHeads`' options and the attention mask. */
export interface QkvAttentionOptions extends QkvHeadsOptions {
  /** Additive mask [1|B, 1, 1|T, T] (tensor-core's `attentionMask`), or null. */
  mask: Tensor | null;
}

/**
 * Self-attention straight from a fused q/k/v projection x [B·T, (H + 2·Hkv)·hd] (no cache):
 * softmax(rope(q)·rope(k)ᵀ/√hd + mask)·v with the heads merged, [B·T, H·hd] (rows b·T + t). One
 * native kernel each way when the addon serves it (training's path); else `qkvHeads`,
 * `scaledDotProductAttention` and `mergeHeads`. The tables and the mask get zero gradients.
 */
export function qkvAttention(x: Tensor, opts: QkvAttentionOptions): Tensor {
  const { heads: h, kvHeads: hkv, t, cos, sin, mask } = opts;
  const hd = x.shape[x.rank - 1] / (h + 2 * hkv);
  if (x.rank === 2 && Number.isInteger(hd) && hd % 2 === 0 && x.shape[0] % t === 0 && cos.shape.join() === sin.shape.join() && (cos.shape[0] === 1 || cos.shape[0] === x.shape[0] / t) && cos.shape.slice(1).join() === [1, t, hd].join() && nativeQkvAttentionServes(x, cos, sin, mask, t)) {
    return nativeQkvAttention(x, cos, sin, mask, { heads: h, kvHeads: hkv, t, scale: 1 / Math.sqrt(hd) });
  }
  return tf.tidy(() => {
    const { q, k, v } = qkvHeads(x, opts);
    return mergeHeads(scaledDotProductAttention(q, k, v, { bias: mask })).reshape([x.shape[0], h * hd]);
  });
}
