import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError } from '../errors.js';
import { Generator, normal, getDefaultGenerator } from '../random.js';

export interface EmbeddingInit {
  gen?: Generator;
  /** Standard deviation of the N(0, std²) initial rows (default 1, as PyTorch). */
  std?: number;
  /** false: zeros (fast) for weights about to be loaded from a checkpoint. */
  init?: boolean;
}

/** A `[num, dim]` table ~ N(0, std²) (or zeros with `init: false`); `op` names the module in errors. */
export function embeddingTable(num: number, dim: number, { gen = getDefaultGenerator(), std = 1, init = true }: EmbeddingInit, op: string): Tensor {
  TensorCoreError.check(num > 0 && dim > 0, 'ARGUMENT', `${op} sizes must be positive, got ${num}x${dim}`);
  return init ? normal([num, dim], 0, std, gen) : tf.zeros([num, dim]);
}

/** PyTorch's `nn.Embedding`: weight `[num, dim]` ~ N(0, 1); a lookup is a row gather. */
export class Embedding extends Module {
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingInit = {},
  ) {
    super();
    this.registerParameter('weight', embeddingTable(numEmbeddings, embeddingDim, options, 'Embedding'));
  }

  get weight(): tf.Variable {
    return this.param('weight');
  }

  /** ids: int32 [...] → [..., dim] */
  forward(ids: Tensor): Tensor {
    TensorCoreError.check(ids.dtype === 'int32', 'ARGUMENT', () => `'ids' passed to 'Embedding' must be int32, got ${ids.dtype}`);
    return tf.tidy(() => {
      const flat = ids.reshape([-1]);
      return tf.gather(this.weight, flat).reshape([...ids.shape, this.embeddingDim]);
    });
  }
}
