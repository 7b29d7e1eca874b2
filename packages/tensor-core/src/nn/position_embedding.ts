import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError } from '../errors.js';
import { Generator, normal, getDefaultGenerator } from '../random.js';

/**
 * A learned absolute position embedding (`nn.Embedding` of `numPositions` rows, key `weight`, as
 * CLIP and GPT-2 name it) for inputs whose positions are always 0..T−1: `forward(x)` adds the
 * first T rows as one slice, with no gather (so its gradient needs no scatter kernel).
 */
export class PositionEmbedding extends Module {
  constructor(
    readonly numPositions: number,
    readonly dim: number,
    { gen = getDefaultGenerator(), std = 1, init = true }: { gen?: Generator; std?: number; init?: boolean } = {},
  ) {
    super();
    TensorCoreError.check(numPositions > 0 && dim > 0, 'ARGUMENT', `PositionEmbedding sizes must be positive, got ${numPositions}x${dim}`);
    this.registerParameter('weight', init ? normal([numPositions, dim], 0, std, gen) : tf.zeros([numPositions, dim]));
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
