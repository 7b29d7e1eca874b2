import { Embedding, Linear, type Tensor } from '@healthgpt/tensor-core';

/** `nn.Embedding` whose table can be swapped for a resized one (vocabulary extension). */
export class TokenEmbedding extends Embedding {
  /** Take ownership of `weight` [n, dim] as the new table. */
  replaceWeight(weight: Tensor): void {
    this.registerParameter('weight', weight, { trainable: this.weight.trainable });
  }
}

/** The output head (`lm_head`, no bias) whose weight can be swapped for a resized one. */
export class HeadLinear extends Linear {
  replaceWeight(weight: Tensor): void {
    this.registerParameter('weight', weight, { trainable: this.weight.trainable });
  }
}
