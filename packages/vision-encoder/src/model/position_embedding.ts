import { Module, type Variable } from '@healthgpt/tensor-core';
import { normalOrZeros, type InitSource } from './init.js';

/**
 * CLIP's `position_embedding` (an `nn.Embedding` of N + 1 rows, key `weight`). Positions are
 * always 0..N, so the table is read whole, never gathered.
 */
export class PositionEmbedding extends Module {
  constructor(
    readonly numPositions: number,
    readonly dim: number,
    { std = 0.02, gen = null }: { std?: number; gen?: InitSource } = {},
  ) {
    super();
    this.registerParameter('weight', normalOrZeros([numPositions, dim], std, gen));
  }

  /** [N + 1, D] */
  get weight(): Variable {
    return this.param('weight');
  }
}
