import { tf, Module, Linear, KVCacheLayer, qkvHeads, qkvAttention, appendKV, scaledDotProductAttention, mergeHeads, tidy, type Tensor } from '@healthgpt/tensor-core';
import type { DecoderConfig } from './config.js';
import type { InitOptions, LayerPast, LinearLike } from './types.js';

export interface AttentionInput {
  /** [B·T, hidden] (rows b·T + t) */
  x: Tensor;
  b: number;
  t: number;
  /** Rotary tables [B, 1, T, headDim] (tensor-core's `RotaryEmbedding.tables`). */
  cos: Tensor;
  sin: Tensor;
  /** Additive mask [B|1, 1, T, Tpast + T] or null (tensor-core's `attentionMask`). */
  mask: Tensor | null;
  past?: LayerPast;
  /** False when the caller keeps no cache (training): no keys and values are returned. */
  cache?: boolean;
}

/**
 * Self-attention under HF names. Phi-3: fused `qkv_proj` (rows q; k; v), no biases. Qwen2:
 * `q_proj`, `k_proj`, `v_proj` with biases, `o_proj` without. RoPE, the KV cache and grouped-query
 * attention are tensor-core's.
 */
export class DecoderAttention extends Module {
  private readonly cfg: DecoderConfig;

  constructor(cfg: DecoderConfig, { gen, init = true }: InitOptions = {}) {
    super();
    this.cfg = cfg;
    const { hiddenSize: d, numHeads: h, numKvHeads: hkv, headDim: hd } = cfg;
    if (cfg.modelType === 'phi3') {
      this.registerModule('qkv_proj', new Linear(d, (h + 2 * hkv) * hd, { bias: false, gen, init }));
    } else {
      this.registerModule('q_proj', new Linear(d, h * hd, { bias: true, gen, init }));
      this.registerModule('k_proj', new Linear(d, hkv * hd, { bias: true, gen, init }));
      this.registerModule('v_proj', new Linear(d, hkv * hd, { bias: true, gen, init }));
    }
    this.registerModule('o_proj', new Linear(h * hd, d, { bias: false, gen, init }));
  }

  /** The projections side by side [N, (H + 2·Hkv)·hd]: q, k, v (Phi-3's fused qkv_proj as it is). */
  private project(x: Tensor): Tensor {
    if (this.cfg.modelType === 'phi3') return this.child<LinearLike>('qkv_proj').forward(x);
    return tf.concat(['q_proj', 'k_proj', 'v_proj'].map((n) => this.child<LinearLike>(n).forward(x)), -1);
  }

  /** → the output [B·T, hidden] and this layer's cache (past + new keys/values; none with `cache: false` and no past). */
  forward({ x, b, t, cos, sin, mask, past, cache = true }: AttentionInput): { out: Tensor; present: LayerPast | undefined } {
    const { numHeads: h, numKvHeads: hkv } = this.cfg;
    return tidy(() => {
      if (!past && !cache) {
        // Training: attention straight from the projection (one native kernel each way when built).
        const attn = qkvAttention(this.project(x), { heads: h, kvHeads: hkv, t, cos, sin, mask }); // [B·T, H·hd]
        return { out: this.child<LinearLike>('o_proj').forward(attn), present: undefined };
      }
      const { q, k, v } = qkvHeads(this.project(x), { heads: h, kvHeads: hkv, t, cos, sin }); // [B, H|Hkv, T, hd], q and k rotated
      let present: LayerPast;
      let attn: Tensor; // [B, H, T, hd]
      if (past instanceof KVCacheLayer) {
        // k and v written in place at positions [Tpast, Tpast + T), then q attends from the cache.
        [present, attn] = [past, past.appendAttend(q, k, v, { bias: mask })];
      } else {
        const kv = appendKV(past, k, v); // [B, Hkv, Tpast + T, hd]
        [present, attn] = [kv, scaledDotProductAttention(q, kv.keys, kv.values, { bias: mask })];
      }
      const merged = t === 1 ? attn.reshape([b, -1]) : mergeHeads(attn).reshape([b * t, -1]); // [B·T, H·hd]
      return { out: this.child<LinearLike>('o_proj').forward(merged), present };
    });
  }
}
