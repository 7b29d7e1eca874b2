import { tf, Module, RMSNorm, tidy, type Tensor } from '@healthgpt/tensor-core';
import type { DecoderConfig } from './config.js';
import { DecoderAttention } from './attention.js';
import { DecoderMLP } from './mlp.js';
import type { InitOptions, LayerPast } from './types.js';

/** What every layer of one forward shares: sizes, rotary tables [B, 1, T, hd], attention mask. */
export interface LayerContext {
  b: number;
  t: number;
  cos: Tensor;
  sin: Tensor;
  mask: Tensor | null;
  /** False when the forward keeps no cache (training); default true. */
  cache?: boolean;
}

/** One pre-norm block: h + attn(norm(h)), then h + mlp(norm(h)). */
export class DecoderLayer extends Module {
  constructor(cfg: DecoderConfig, init: InitOptions = {}) {
    super();
    this.registerModule('input_layernorm', new RMSNorm(cfg.hiddenSize, cfg.rmsNormEps));
    this.registerModule('self_attn', new DecoderAttention(cfg, init));
    this.registerModule('post_attention_layernorm', new RMSNorm(cfg.hiddenSize, cfg.rmsNormEps));
    this.registerModule('mlp', new DecoderMLP(cfg, init));
  }

  /** h: [B·T, hidden] (rows b·T + t) → [B·T, hidden] and this layer's cache. */
  forward(h: Tensor, { b, t, cos, sin, mask, cache }: LayerContext, past?: LayerPast): { h: Tensor; present: LayerPast | undefined } {
    return tidy(() => {
      const x = this.child<RMSNorm>('input_layernorm').forward(h);
      const { out, present } = this.child<DecoderAttention>('self_attn').forward({ x, b, t, cos, sin, mask, past, cache });
      const h1 = tf.add(h, out);
      const m = this.child<DecoderMLP>('mlp').forward(this.child<RMSNorm>('post_attention_layernorm').forward(h1));
      return { h: tf.add(h1, m), present };
    });
  }
}
