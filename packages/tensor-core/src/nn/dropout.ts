import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError } from '../errors.js';
import { Generator } from '../random.js';

/** Inverted dropout with a mask seeded from `gen`: zeroes with probability p, scales the rest by 1/(1−p). */
export function dropout(x: Tensor, p: number, gen: Generator): Tensor {
  TensorCoreError.check(p >= 0 && p < 1, 'ARGUMENT', `'p' passed to 'dropout' must be in [0, 1), got ${p}`);
  if (p === 0) return x.clone();
  return tf.dropout(x, p, undefined, gen.nextSeed());
}

/** PyTorch's `nn.Dropout(p)`: active in training mode only; seeded and reproducible. */
export class Dropout extends Module {
  readonly gen: Generator;

  constructor(
    readonly p: number,
    { seed = 0, gen }: { seed?: number; gen?: Generator } = {},
  ) {
    super();
    TensorCoreError.check(p >= 0 && p < 1, 'ARGUMENT', `Dropout probability must be in [0, 1), got ${p}`);
    this.gen = gen ?? new Generator(seed);
  }

  forward(x: Tensor): Tensor {
    return this.training && this.p > 0 ? dropout(x, this.p, this.gen) : x.clone();
  }
}
