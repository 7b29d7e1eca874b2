import { tf, Module, Linear, dropout, Generator, type Tensor } from '@healthgpt/tensor-core';
import type { CLIPVisionConfig } from './config.js';
import { initNormal, type InitSource } from './init.js';

/**
 * HF `CLIPAttention`: full (unmasked) multi-head self-attention with biased k/v/q/out
 * projections; q is scaled by head_dim^-0.5 after its bias, as in HF.
 */
export class CLIPAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  private readonly dropoutGen: Generator;

  constructor(
    readonly config: CLIPVisionConfig,
    gen: InitSource,
  ) {
    super();
    const d = config.hidden_size;
    this.numHeads = config.num_attention_heads;
    this.headDim = d / this.numHeads;
    const f = config.initializer_factor;
    const inStd = d ** -0.5 * (2 * config.num_hidden_layers) ** -0.5 * f;
    for (const name of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) {
      // HF's init: weight N(0, std²), bias 0 (no kaiming draw to overwrite).
      const lin = this.registerModule(name, new Linear(d, d, { init: false }));
      initNormal(lin.weight, name === 'out_proj' ? d ** -0.5 * f : inStd, gen);
    }
    this.dropoutGen = new Generator(gen ? gen.nextSeed() : 0);
  }

  /** x [B, T, D] → [B, T, D] */
  forward(x: Tensor): Tensor {
    const [b, t, d] = x.shape;
    const proj = (name: string, y: Tensor) => this.child<Linear>(name).forward(y);
    return tf.tidy(() => {
      const heads = (y: Tensor) => y.reshape([b, t, this.numHeads, this.headDim]).transpose([0, 2, 1, 3]); // [B, H, T, hd]
      const q = heads(tf.mul(proj('q_proj', x), this.headDim ** -0.5));
      const k = heads(proj('k_proj', x));
      const v = heads(proj('v_proj', x));
      let probs = tf.softmax(tf.matMul(q, k, false, true), -1); // [B, H, T, T]
      const p = this.config.attention_dropout;
      if (this.training && p > 0) probs = dropout(probs, p, this.dropoutGen);
      const out = tf.matMul(probs, v).transpose([0, 2, 1, 3]).reshape([b, t, d]); // [B, T, D]
      return proj('out_proj', out);
    });
  }
}
