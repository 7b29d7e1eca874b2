import { tf, Module, Linear, Embedding, Generator, type Tensor } from '@healthgpt/tensor-core';
import type { CLIPVisionModel } from '@healthgpt/vision-encoder';
import type { Task } from '../loop/task.js';

/**
 * The small text tower of stage 0's contrastive pretraining: token embeddings averaged over the
 * caption (a bag of tokens), then a linear projection. Captions of the synthetic set name
 * modality, organ, plane and findings; word order matters little for them.
 */
export class TextTower extends Module {
  constructor(vocab: number, width: number, dim: number, gen: Generator) {
    super();
    this.registerModule('token_embedding', new Embedding(vocab, width, { gen, std: 0.02 }));
    this.registerModule('text_projection', new Linear(width, dim, { bias: false, gen }));
  }

  /** ids [B, T] right-padded with `mask` [B, T] → [B, dim]. */
  forward(ids: number[][], mask: number[][]): Tensor {
    return tf.tidy(() => {
      const e = this.child<Embedding>('token_embedding').forward(tf.tensor2d(ids, undefined, 'int32')); // [B, T, W]
      const m = tf.tensor3d(mask.map((r) => r.map((x) => [x]))); // [B, T, 1]
      const pooled = tf.div(tf.sum(tf.mul(e, m), 1), tf.sum(m, 1)); // [B, W]
      return this.child<Linear>('text_projection').forward(pooled);
    });
  }
}

/**
 * CLIP-style contrastive pretraining of a vision tower from scratch (Radford et al., 2021): the
 * tower's pooled output (post-layernorm CLS) is projected, the caption goes through `TextTower`,
 * both are L2-normalised, and the loss is the symmetric cross-entropy of the scaled cosine
 * similarities of a batch (matching pairs on the diagonal), with a learned temperature.
 */
export class ContrastiveModel extends Module {
  constructor(
    readonly tower: CLIPVisionModel,
    vocab: number,
    { dim = 64, textWidth = 64, seed = 0 }: { dim?: number; textWidth?: number; seed?: number } = {},
  ) {
    super();
    const gen = new Generator(seed);
    this.registerModule('vision', tower);
    this.registerModule('visual_projection', new Linear(tower.config.hidden_size, dim, { bias: false, gen }));
    this.registerModule('text', new TextTower(vocab, textWidth, dim, gen));
    this.registerParameter('logit_scale', tf.scalar(Math.log(1 / 0.07)));
  }

  imageEmbeds(pixels: Tensor): Tensor {
    return tf.tidy(() => {
      const out = this.tower.forward(pixels);
      return l2(this.child<Linear>('visual_projection').forward(out.poolerOutput));
    });
  }

  loss(pixels: Tensor, ids: number[][], mask: number[][]): Tensor {
    return tf.tidy(() => {
      const img = this.imageEmbeds(pixels); // [B, D]
      const txt = l2(this.child<TextTower>('text').forward(ids, mask)); // [B, D]
      const scale = tf.exp(tf.minimum(this.param('logit_scale'), Math.log(100)));
      const logits = tf.mul(tf.matMul(img, txt, false, true), scale); // [B, B]
      const b = ids.length;
      const labels = tf.oneHot(tf.range(0, b, 1, 'int32'), b);
      return tf.div(tf.add(tf.losses.softmaxCrossEntropy(labels, logits), tf.losses.softmaxCrossEntropy(labels, logits.transpose())), 2);
    });
  }
}

const l2 = (x: Tensor) => tf.div(x, tf.add(tf.norm(x, 'euclidean', -1, true), 1e-6));

/** An image–caption pair: preprocessed pixels [3·S·S] and caption ids. */
export interface CaptionPair {
  pixels: Float32Array;
  ids: number[];
}

/** The contrastive task over image–caption pairs (batches padded on the right). */
export function contrastiveTask(model: ContrastiveModel, pairs: readonly CaptionPair[], size: number, name = 'clip'): Task<CaptionPair, { pixels: Tensor; ids: number[][]; mask: number[][] }> {
  return {
    name,
    items: pairs,
    collate: (batch) => {
      const len = Math.max(...batch.map((p) => p.ids.length));
      const all = new Float32Array(batch.length * 3 * size * size);
      batch.forEach((p, i) => all.set(p.pixels, i * p.pixels.length));
      return {
        pixels: tf.tensor4d(all, [batch.length, 3, size, size]),
        ids: batch.map((p) => [...p.ids, ...new Array<number>(len - p.ids.length).fill(0)]),
        mask: batch.map((p) => [...new Array<number>(p.ids.length).fill(1), ...new Array<number>(len - p.ids.length).fill(0)]),
      };
    },
    loss: (b) => model.loss(b.pixels, b.ids, b.mask),
    tokens: (b) => b.ids.length,
    dispose: (b) => b.pixels.dispose(),
  };
}
