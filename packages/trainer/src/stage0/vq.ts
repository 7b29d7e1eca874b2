import { tf, type RawImage, type Tensor } from '@healthgpt/tensor-core';
import { VQLoss, rawImagesToTensor, type VQLossOptions, type VQTokenizer } from '@healthgpt/vq-tokenizer';
import type { Task } from '../loop/task.js';

/**
 * Stage 0, step 4: the VQ image tokenizer as a task on the one loop. Items are image indices;
 * batches gather them from one tensor of all images (RGB in [−1, 1] at the tokenizer's
 * resolution); the loss is vq-tokenizer's `VQLoss` (reconstruction + the Gumbel KL prior with an
 * annealed temperature), whose Gumbel-noise generator the checkpoints save. `dispose()` frees
 * the image tensor.
 */
export function vqTask(vq: VQTokenizer, images: readonly RawImage[], options: VQLossOptions, name = 'vq'): Task<number, Tensor> & { images: Tensor; vqLoss: VQLoss; release(): void } {
  const all = rawImagesToTensor([...images], { size: vq.config.ddconfig.resolution });
  const vqLoss = new VQLoss(vq, options);
  return {
    name,
    items: images.map((_, i) => i),
    images: all,
    vqLoss,
    collate: (idx) => tf.tidy(() => tf.gather(all, tf.tensor1d(idx, 'int32'))),
    loss: (x, ctx) => {
      const { loss, recon, quant } = vqLoss.compute(x, ctx.step);
      return { loss, parts: { recon, quant } };
    },
    tokens: (x) => x.shape[0] * (x.shape[2]! / 2 ** (vq.config.ddconfig.ch_mult.length - 1)) ** 2,
    dispose: (x) => x.dispose(),
    generators: () => ({ gumbel: vqLoss.generator }),
    release: () => all.dispose(),
  };
}
