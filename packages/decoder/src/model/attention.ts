import { tf, Module, Linear, KVCacheLayer, applyRotary, appendKV, scaledDotProductAttention, splitHeads, mergeHeads, tidy, type Tensor } from '@healthgpt/tensor-core';
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
  forward({ x, b, t, cos, sin, mask, past }: AttentionInput): { out: Tensor; present: LayerPast } {
    const { numHeads: h, numKvHeads: hkv } = this.cfg;
    return tidy(() => {
      const [qk0, v0] = this.project(x);
      const qk = applyRotary(splitHeads(qk0, h + hkv, t), cos, sin); // [B, H + Hkv, T, hd]
      const [q, k] = tf.split(qk, [h, hkv], 1);
      const v = splitHeads(v0, hkv, t);
      let present: LayerPast;
      let attn: Tensor; // [B, H, T, hd]
      if (past instanceof KVCacheLayer) {
        past.append(k, v); // written in place at positions [Tpast, Tpast + T)
        [present, attn] = [past, past.attend(q, { bias: mask })];
      } else {
        const kv = appendKV(past, k, v); // [B, Hkv, Tpast + T, hd]
        [present, attn] = [kv, scaledDotProductAttention(q, kv.keys, kv.values, { bias: mask })];
      }
      const merged = t === 1 ? attn.reshape([b, -1]) : mergeHeads(attn).reshape([b * t, -1]); // [B·T, H·hd]
      return { out: this.child<LinearLike>('o_proj').forward(merged), present };
    });
  }
}
