import { tf, type Tensor } from '../tf.js';
import { TensorCoreError, checkRank } from '../errors.js';
import type { Generator } from '../random.js';
import { attentionMask, type MaskOptions } from './attention_mask.js';
import { dropout } from './dropout.js';
import { nativeAttention, nativeAttentionServes } from '../native/attention.js';

export interface AttentionOptions extends MaskOptions {
  /**
   * An additive bias or precomputed mask, [1|Tq, Tk] or [1|B, 1|H, 1|Tq, Tk] (e.g. one `attentionMask`
   * shared by every layer of a forward). Added after `causal` / `keyMask`.
   */
  bias?: Tensor | null;
  /** Score scale, default 1/√headDim. */
  scale?: number;
  /** Dropout on the attention probabilities (training), drawn from `gen`. Default 0. */
  dropout?: number;
  gen?: Generator;
}

/** scores [B, Hkv, nRep·Tq, Tk] (query head g·nRep + r in group g) + m [1|Tq, Tk] or [1|B, 1|H, 1|Tq, Tk]. */
function addPerHead(scores: Tensor, m: Tensor, b: number, hkv: number, nRep: number, tq: number, tk: number): Tensor {
  const [mb, mh] = m.rank === 4 ? m.shape : [1, 1];
  const [mq, mk] = m.shape.slice(-2);
  const lead = m.rank === 2 || (m.rank === 4 && (mh === 1 || mh === hkv * nRep) && (mb === 1 || mb === b));
  TensorCoreError.check(lead && (mq === tq || mq === 1) && mk === tk, 'ARGUMENT', () =>
    `'bias' passed to 'scaledDotProductAttention' must be [1|${tq}, ${tk}] or [1|${b}, 1|${hkv * nRep}, 1|${tq}, ${tk}], got [${m.shape.join(', ')}]`);
  if (nRep === 1) return tf.add(scores, m);
  const s5 = scores.reshape([b, hkv, nRep, tq, tk]);
  const m5 = mh === 1 ? m.reshape([mb, 1, 1, mq, tk]) : m.reshape([mb, hkv, nRep, mq, tk]);
  return tf.add(s5, m5).reshape([b, hkv, nRep * tq, tk]);
}

/**
 * The causal/padding mask and the bias as one additive mask [1|B, 1, 1|Tq, Tk] shared by the heads
 * (null: none), for the native kernel; undefined when the bias differs per head.
 */
function sharedMask(m: Tensor | null, bias: Tensor | null, b: number, tq: number, tk: number): Tensor | null | undefined {
  const b4 = bias && bias.rank === 2 ? bias.reshape([1, 1, ...bias.shape]) : bias;
  const fits = (t: Tensor) => t.rank === 4 && (t.shape[0] === 1 || t.shape[0] === b) && t.shape[1] === 1 && (t.shape[2] === 1 || t.shape[2] === tq) && t.shape[3] === tk;
  if (b4 && !fits(b4)) return undefined; // per-head or mis-shaped: the tfjs path (and its checks)
  return m && b4 ? tf.add(m, b4) : (m ?? b4);
}

/**
 * softmax(q kᵀ · scale + mask) v, with grouped-query attention that never copies the kv heads:
 * the nRep = H/Hkv query heads sharing kv head g are stacked along the query axis (a free reshape),
 * so each group is one matmul against its own keys and values.
 * q: [B, H, Tq, D], k and v: [B, Hkv, Tk, D] (H a multiple of Hkv) → [B, H, Tq, D]
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  checkRank(q.shape, 4, 'q', op);
  checkRank(k.shape, 4, 'k', op);
  checkRank(v.shape, 4, 'v', op);
  const [b, h, tq, d] = q.shape;
  const [, hkv, tk] = k.shape;
  TensorCoreError.check(h % hkv === 0, 'ARGUMENT', () => `query heads (${h}) must be a multiple of kv heads (${hkv}) in '${op}'`);
  TensorCoreError.check(k.shape[0] === b && v.shape[0] === b, 'ARGUMENT', `'q', 'k' and 'v' passed to '${op}' must share the batch size`);
  TensorCoreError.check(k.shape[3] === d && v.shape[1] === hkv && v.shape[2] === tk, 'ARGUMENT', () =>
    `'k' and 'v' passed to '${op}' must be [${b}, Hkv, Tk, ${d}] and [${b}, Hkv, Tk, Dv] alike, got [${k.shape.join(', ')}] and [${v.shape.join(', ')}]`);
  const p = opts.dropout ?? 0;
  TensorCoreError.check(p === 0 || opts.gen !== undefined, 'ARGUMENT', `'dropout' passed to '${op}' needs a 'gen'`);
  const nRep = h / hkv;
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  return tf.tidy(() => {
    if (p === 0) {
      const mask = sharedMask(attentionMask(tq, tk, opts), opts.bias ?? null, b, tq, tk);
      if (mask !== undefined && nativeAttentionServes(q, k, v, mask)) return nativeAttention(q, k, v, mask, scale);
    }
    const qg = nRep === 1 ? q : q.reshape([b, hkv, nRep * tq, d]); // head g·nRep + r → group g
    let scores = tf.mul(tf.matMul(qg, k, false, true), scale); // [B, Hkv, nRep·Tq, Tk]
    for (const m of [attentionMask(tq, tk, opts), opts.bias]) if (m) scores = addPerHead(scores, m, b, hkv, nRep, tq, tk);
    let probs = tf.softmax(scores, -1);
    if (p > 0) probs = dropout(probs, p, opts.gen!);
    const out = tf.matMul(probs, v); // [B, Hkv, nRep·Tq, Dv]
    return nRep === 1 ? out : out.reshape([b, h, tq, v.shape[3]!]); // [B, H, Tq, Dv]
  });
}

/** [B, T, n·hd] (or [B·T, n·hd] with `t`) → [B, n, T, hd]; a reshape, no copy, when T or n is 1. */
export function splitHeads(x: Tensor, heads: number, t: number = x.shape[1]!): Tensor {
  const hd = x.shape[x.rank - 1] / heads;
  const b = x.size / (t * heads * hd);
  if (t === 1 || heads === 1) return x.reshape([b, heads, t, hd]);
  return tf.tidy(() => x.reshape([b, t, heads, hd]).transpose([0, 2, 1, 3]));
}

/** [B, n, T, hd] → [B, T, n·hd]; a reshape, no copy, when T or n is 1. */
export function mergeHeads(x: Tensor): Tensor {
  const [b, n, t, hd] = x.shape;
  if (t === 1 || n === 1) return x.reshape([b, t, n * hd]);
  return tf.tidy(() => x.transpose([0, 2, 1, 3]).reshape([b, t, n * hd]));
}
