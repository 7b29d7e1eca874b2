import { tf, Module, PositionEmbedding, getDefaultGenerator, type Tensor } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';
import { numPatches, type CLIPVisionConfig } from './config.js';
import { normalOrZeros, type InitSource } from './init.js';
import { PatchEmbedding } from './patch_embedding.js';

/**
 * HF `CLIPVisionEmbeddings`: `class_embedding` [D] as token 0, the patch tokens after it, plus
 * `position_embedding.weight` [N + 1, D], added whole (positions are always 0..N).
 */
export class CLIPVisionEmbeddings extends Module {
  constructor(
    readonly config: CLIPVisionConfig,
    gen: InitSource = getDefaultGenerator(),
  ) {
    super();
    const d = config.hidden_size;
    const f = config.initializer_factor;
    this.registerParameter('class_embedding', normalOrZeros([d], d ** -0.5 * f, gen));
    const std = config.initializer_range * f;
    this.registerModule('patch_embedding', new PatchEmbedding(config.num_channels, d, config.patch_size, { std, gen }));
    this.registerModule('position_embedding', new PositionEmbedding(numPatches(config) + 1, d, { std, ...(gen ? { gen } : {}), init: gen !== null }));
  }

  /** pixelValues [B, C, S, S] → embeddings before pre_layrnorm [B, N + 1, D] */
  forward(pixelValues: Tensor): Tensor {
    const { image_size: s, num_channels: c, hidden_size: d } = this.config;
    VisionEncoderError.check(pixelValues.rank === 4 && pixelValues.shape[1] === c && pixelValues.shape[2] === s && pixelValues.shape[3] === s, 'ARGUMENT', () =>
      `'pixelValues' passed to 'CLIPVisionModel' must be [B, ${c}, ${s}, ${s}] float32, got [${pixelValues.shape.join(', ')}]`);
    VisionEncoderError.check(pixelValues.dtype === 'float32', 'ARGUMENT', () => `'pixelValues' passed to 'CLIPVisionModel' must be float32, got ${pixelValues.dtype}`);
    const b = pixelValues.shape[0];
    return tf.tidy(() => {
      const patches = this.child<PatchEmbedding>('patch_embedding').forward(pixelValues); // [B, N, D]
      const cls = tf.broadcastTo(this.param('class_embedding').reshape([1, 1, d]), [b, 1, d]); // [B, 1, D]
      return this.child<PositionEmbedding>('position_embedding').forward(tf.concat([cls, patches], 1)); // [B, N + 1, D]
    });
  }
}
