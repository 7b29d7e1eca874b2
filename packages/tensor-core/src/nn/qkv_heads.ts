import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { inferenceFusable, qkvHeadsInference } from '../kernels/fused_step.js';
import { splitHeads } from './attention.js';
import { applyRotary } from './rope.js';

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
 * kernel when no gradient is recorded (inference); split, splitHeads and applyRotary otherwise.
 */
export function qkvHeads(x: Tensor, { heads: h, kvHeads: hkv, t, cos, sin }: QkvHeadsOptions): { q: Tensor; k: Tensor; v: Tensor } {
  const [n, w] = x.shape;
  const hd = w / (h + 2 * hkv);
  TensorCoreError.check(x.rank === 2 && Number.isInteger(hd) && hd % 2 === 0 && n % t === 0, 'ARGUMENT', () =>
    `'x' passed to 'qkvHeads' must be [B·${t}, (${h} + 2·${hkv})·headDim] with an even headDim, got [${x.shape.join(', ')}]`);
  const [cb, c1, ct, cd] = cos.shape;
  TensorCoreError.check(cos.rank === 4 && (cb === 1 || cb === n / t) && c1 === 1 && ct === t && cd === hd && sin.shape.join() === cos.shape.join(), 'ARGUMENT', () =>
    `'cos' and 'sin' passed to 'qkvHeads' must be [1|${n / t}, 1, ${t}, ${hd}], got [${cos.shape.join(', ')}] and [${sin.shape.join(', ')}]`);
  if (inferenceFusable('HealthgptQkvHeads', x, cos, sin)) {
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
