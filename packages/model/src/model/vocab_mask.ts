import { tf, type Tensor } from '@healthgpt/tensor-core';
import type { HealthGPT } from './healthgpt.js';
import { ModelError } from '../errors.js';

/** The parameters a vocabulary extension grows: the embedding and (untied) the head. */
function rowParams(model: HealthGPT): string[] {
  return model.config.text.tieWordEmbeddings ? ['model.embed_tokens.weight'] : ['model.embed_tokens.weight', 'lm_head.weight'];
}

/** [V, 1] masks, 1 from the first image token on. */
export function newTokenRowMasks(model: HealthGPT): Map<string, Tensor> {
  const ids = model.config.imageTokens;
  ModelError.check(ids !== null, 'ARGUMENT', `'newTokenRowMasks': this model has no image tokens`);
  const v = model.config.text.vocabSize;
  return new Map(
    rowParams(model).map((name) => {
      const m = new Float32Array(v);
      m.fill(1, ids.start);
      return [name, tf.tensor2d(m, [v, 1])];
    }),
  );
}

/** Multiply the embedding and head gradients by their row masks; other gradients pass through. */
export function maskNewTokenGradients(model: HealthGPT, grads: Map<string, Tensor>): Map<string, Tensor> {
  const masks = newTokenRowMasks(model);
  try {
    const out = new Map(grads);
    for (const [name, mask] of masks) {
      const g = grads.get(name);
      if (!g) continue;
      out.set(name, tf.mul(g, mask));
      g.dispose();
    }
    return out;
  } finally {
    masks.forEach((m) => m.dispose());
  }
}
