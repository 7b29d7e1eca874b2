import { tf, Module, getDefaultGenerator, type Tensor, type Variable } from '@healthgpt/tensor-core';
import { normalOrZeros, type InitSource } from './init.js';
import { VisionEncoderError } from '../errors.js';

/**
 * The strided, bias-free Conv2d(C, D, kernel p, stride p) of CLIP, computed as a reshape into
 * non-overlapping patches and one matmul, so its gradient needs no conv kernel (it trains on
 * wasm). The weight keeps the conv layout `[D, C, p, p]` under the key `weight`.
 */
export class PatchEmbedding extends Module {
  constructor(
    readonly inChannels: number,
    readonly embedDim: number,
    readonly patchSize: number,
    { std = 0.02, gen = getDefaultGenerator() }: { std?: number; gen?: InitSource } = {},
  ) {
    super();
    this.registerParameter('weight', normalOrZeros([embedDim, inChannels, patchSize, patchSize], std, gen));
  }

  get weight(): Variable {
    return this.param('weight');
  }

  /** pixelValues [B, C, H, W] (H, W multiples of p) → [B, (H/p)·(W/p), D], token r·(W/p) + c = patch (r, c). */
  forward(pixelValues: Tensor): Tensor {
    const [b, c, h, w] = pixelValues.shape;
    const p = this.patchSize;
    VisionEncoderError.check(pixelValues.rank === 4 && c === this.inChannels && h % p === 0 && w % p === 0, 'ARGUMENT', () =>
      `'pixelValues' passed to 'PatchEmbedding' must be [B, ${this.inChannels}, H, W] with H and W multiples of ${p}, got [${pixelValues.shape.join(', ')}]`);
    const gh = h / p;
    const gw = w / p;
    return tf.tidy(() => {
      const rows = pixelValues.reshape([b * c * gh, p, gw, p]); // [B·C·gh, py, gw, px]
      const tiles = rows.transpose([0, 2, 1, 3]).reshape([b, c, gh * gw, p * p]); // [B, C, N, p²]
      const patches = tiles.transpose([0, 2, 1, 3]).reshape([b * gh * gw, c * p * p]); // [B·N, C·p²]
      const kernel = this.weight.reshape([this.embedDim, c * p * p]); // [D, C·p²]
      return tf.matMul(patches, kernel, false, true).reshape([b, gh * gw, this.embedDim]); // [B, N, D]
    });
  }
}
