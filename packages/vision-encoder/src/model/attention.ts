import { Module, Linear, Generator, scaledDotProductAttention, splitHeads, mergeHeads, tidy, type Tensor } from '@healthgpt/tensor-core';
import type { CLIPVisionConfig } from './config.js';
import { initNormal, type InitSource } from './init.js';

/**
 * HF `CLIPAttention`: full (unmasked) multi-head self-attention with biased k/v/q/out projections,
 * scores scaled by head_dim^-0.5, dropout on the probabilities in training; the attention itself
 * is tensor-core's.
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
    const heads = (name: string) => splitHeads(this.child<Linear>(name).forward(x), this.numHeads); // [B, H, T, hd]
    return tidy(() => {
      const dropout = this.training ? this.config.attention_dropout : 0;
      const out = scaledDotProductAttention(heads('q_proj'), heads('k_proj'), heads('v_proj'), { dropout, gen: this.dropoutGen }); // [B, H, T, hd]
      return this.child<Linear>('out_proj').forward(mergeHeads(out)); // [B, T, D]
    });
  }
}
