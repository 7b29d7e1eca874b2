import { tf, Module, rotateHalf, type Tensor } from '@healthgpt/tensor-core';
import { tidy } from './tidy.js';
import { DecoderLinear } from './fast_linear.js';
import type { DecoderConfig } from './config.js';
import type { InitOptions } from './types.js';
import type { LayerCache, LinearLike } from './types.js';

/**
 * Swap axes 1 and 2 of a rank-4 tensor; a reshape when either is 1 (no copy; decoding has T = 1).
 */
export function swapAxes12(x: Tensor): Tensor {
  const [a, b, c, d] = x.shape;
  return b === 1 || c === 1 ? x.reshape([a, c, b, d]) : x.transpose([0, 2, 1, 3]);
}

/** [B·T, n·hd] → [B, n, T, hd] (one reshape when T = 1). */
function splitHeads(y: Tensor, b: number, t: number, n: number, hd: number): Tensor {
  return t === 1 ? y.reshape([b, n, 1, hd]) : swapAxes12(y.reshape([b, t, n, hd]));
}

/**
 * softmax(q kᵀ/√d + bias) v with grouped-query attention, without copying the kv heads: the
 * nRep query heads that share kv head g are stacked along the query axis.
 * q: [B, H, Tq, D]; k, v: [B, Hkv, Tk, D]; bias: [B|1, 1, Tq, Tk] → [B, H, Tq, D]
 */
export function groupedQueryAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | null): Tensor {
  const [b, h, tq, d] = q.shape;
  const [, hkv, tk] = k.shape;
  const nRep = h / hkv;
  return tf.tidy(() => {
    const qg = q.reshape([b, hkv, nRep * tq, d]); // head g·nRep + r → group g
    let scores = tf.mul(tf.matMul(qg, k, false, true), 1 / Math.sqrt(d)); // [B, Hkv, nRep·Tq, Tk]
    if (bias) {
      const s5 = tf.add(scores.reshape([b, hkv, nRep, tq, tk]), bias.reshape([bias.shape[0], 1, 1, tq, tk]));
      scores = s5.reshape([b, hkv, nRep * tq, tk]);
    }
    const out = tf.matMul(tf.softmax(scores, -1), v); // [B, Hkv, nRep·Tq, D]
    return out.reshape([b, h, tq, d]);
  });
}

export interface AttentionInput {
  /** [B·T, hidden] (rows b·T + t) */
  x: Tensor;
  b: number;
  t: number;
  /** Rotary tables [B, 1, T, headDim]. */
  cos: Tensor;
  sin: Tensor;
  /** Additive bias [B|1, 1, T, Tpast + T] or null. */
  bias: Tensor | null;
  past?: LayerCache;
}

/** x·cos + rotate_half(x)·sin; x [B, n, T, hd], cos and sin [B, 1, T, hd]. */
export function rope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return tf.tidy(() => tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin)));
}

/**
 * Self-attention under HF names. Phi-3: fused `qkv_proj` (rows q; k; v), no biases. Qwen2:
 * `q_proj`, `k_proj`, `v_proj` with biases, `o_proj` without.
 */
export class DecoderAttention extends Module {
  private readonly cfg: DecoderConfig;

  constructor(cfg: DecoderConfig, { gen, init = true }: InitOptions = {}) {
    super();
    this.cfg = cfg;
    const { hiddenSize: d, numHeads: h, numKvHeads: hkv, headDim: hd } = cfg;
    if (cfg.modelType === 'phi3') {
      this.registerModule('qkv_proj', new DecoderLinear(d, (h + 2 * hkv) * hd, { bias: false, gen, init }));
    } else {
      this.registerModule('q_proj', new DecoderLinear(d, h * hd, { bias: true, gen, init }));
      this.registerModule('k_proj', new DecoderLinear(d, hkv * hd, { bias: true, gen, init }));
      this.registerModule('v_proj', new DecoderLinear(d, hkv * hd, { bias: true, gen, init }));
    }
    this.registerModule('o_proj', new DecoderLinear(h * hd, d, { bias: false, gen, init }));
  }

  /** q and k side by side [N, (H + Hkv)·hd] (they are rotated together), and v [N, Hkv·hd]. */
  private project(x: Tensor): [Tensor, Tensor] {
    const { numHeads: h, numKvHeads: hkv, headDim: hd } = this.cfg;
    if (this.cfg.modelType === 'phi3') {
      const qkv = this.child<LinearLike>('qkv_proj').forward(x);
      return tf.split(qkv, [(h + hkv) * hd, hkv * hd], -1) as [Tensor, Tensor];
    }
    const qk = tf.concat([this.child<LinearLike>('q_proj').forward(x), this.child<LinearLike>('k_proj').forward(x)], -1);
    return [qk, this.child<LinearLike>('v_proj').forward(x)];
  }

  /** → the output [B·T, hidden] and this layer's cache (past + new keys/values). */
  forward({ x, b, t, cos, sin, bias, past }: AttentionInput): { out: Tensor; present: LayerCache } {
    const { numHeads: h, numKvHeads: hkv, headDim: hd } = this.cfg;
    return tidy(() => {
      const [qk0, v0] = this.project(x);
      const qk = rope(splitHeads(qk0, b, t, h + hkv, hd), cos, sin); // [B, H + Hkv, T, hd]
      const [q, k] = tf.split(qk, [h, hkv], 1);
      let keys = k;
      let values = splitHeads(v0, b, t, hkv, hd); // [B, Hkv, T, hd]
      if (past) {
        keys = tf.concat([past.keys, keys], 2); // [B, Hkv, Tpast + T, hd]
        values = tf.concat([past.values, values], 2);
      }
      const attn = groupedQueryAttention(q, keys, values, bias); // [B, H, T, hd]
      const merged = t === 1 ? attn.reshape([b, h * hd]) : swapAxes12(attn).reshape([b * t, h * hd]); // [B·T, H·hd]
      return { out: this.child<LinearLike>('o_proj').forward(merged), present: { keys, values } };
    });
  }
}
