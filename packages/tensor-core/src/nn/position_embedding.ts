import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError } from '../errors.js';
import { embeddingTable, type EmbeddingInit } from './embedding.js';

/**
 * A learned absolute position embedding (`nn.Embedding` of `numPositions` rows, key `weight`, as
 * CLIP and GPT-2 name it) for inputs whose positions are always 0..T−1: `forward(x)` adds the
 * first T rows as one slice, with no gather (so its gradient needs no scatter kernel).
 */
export class PositionEmbedding extends Module {
  constructor(
    readonly numPositions: number,
    readonly dim: number,
    options: EmbeddingInit = {},
  ) {
    super();
    this.registerParameter('weight', embeddingTable(numPositions, dim, options, 'PositionEmbedding'));
  }

  /** [numPositions, dim] */
  get weight(): tf.Variable {
    return this.param('weight');
  }

  /** x [B, T, dim] (T ≤ numPositions) → x + weight[0:T] */
  forward(x: Tensor): Tensor {
    const t = x.shape[1]!;
    TensorCoreError.check(x.rank === 3 && x.shape[2] === this.dim && t <= this.numPositions, 'ARGUMENT', () =>
      `'x' passed to 'PositionEmbedding' must be [B, T ≤ ${this.numPositions}, ${this.dim}], got [${x.shape.join(', ')}]`);
    return tf.tidy(() => tf.add(x, t === this.numPositions ? this.weight : this.weight.slice([0, 0], [t, this.dim])));
  }
}
