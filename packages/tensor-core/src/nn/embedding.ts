import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError } from '../errors.js';
import { Generator, normal, getDefaultGenerator } from '../random.js';

/** PyTorch's `nn.Embedding`: weight `[num, dim]` ~ N(0, 1); a lookup is a row gather. */
export class Embedding extends Module {
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    { gen = getDefaultGenerator(), std = 1, init = true }: { gen?: Generator; std?: number; init?: boolean } = {},
  ) {
    super();
    TensorCoreError.check(numEmbeddings > 0 && embeddingDim > 0, 'ARGUMENT', `Embedding sizes must be positive, got ${numEmbeddings}x${embeddingDim}`);
    // init: false fills zeros (fast) for weights about to be loaded from a checkpoint.
    this.registerParameter('weight', init ? normal([numEmbeddings, embeddingDim], 0, std, gen) : tf.zeros([numEmbeddings, embeddingDim]));
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
