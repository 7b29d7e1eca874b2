import type { RawImage } from '@healthgpt/tensor-core';
import { VQTokenizer, evaluateTokenizer, type EvalReport, type VQConfig } from '@healthgpt/vq-tokenizer';
import type { Sample } from '@healthgpt/vl-health';
import { Trainer, type StageResult, type TrainerOptions } from '../loop/trainer.js';
import type { ImageResolver } from '../healthgpt/data.js';
import { vqTask } from './vq.js';
import { vqRecipe } from './vq_recipe.js';

/** Every distinct input and target image of `samples` at the largest size among them (the tokenizer's). */
export async function stage0VqImages(samples: readonly Sample[], images: ImageResolver): Promise<RawImage[]> {
  const paths = [...new Set(samples.flatMap((s) => [...s.images, ...(s.targetImage ? [s.targetImage] : [])]))];
  const all = await Promise.all(paths.map((p) => images(p)));
  const width = Math.max(...all.map((im) => im.width));
  return all.filter((im) => im.width === width);
}

export interface Stage0VqOptions {
  config: VQConfig;
  train: readonly RawImage[];
  heldOut: readonly RawImage[];
  budget: { steps: number; batchSize: number; lr: number };
  seed: number;
  /** The loop's options (run folder, progress, hooks). */
  trainer?: Omit<TrainerOptions, 'model' | 'tasks'>;
  /** Given the tokenizer before it trains. */
  onModel?: (vq: VQTokenizer) => void;
}

/**
 * Stage 0's VQ part: a tokenizer of `config` trained from scratch on the one loop with
 * `vqRecipe` (AdamW β₂ 0.99, cosine schedule with 5 % warm-up, clipping 1), then measured on the
 * held-out images. The caller disposes `vq`.
 */
export async function trainStage0Vq(o: Stage0VqOptions): Promise<{ vq: VQTokenizer; eval: EvalReport; stage: StageResult }> {
  const { steps, batchSize, lr } = o.budget;
  const vq = new VQTokenizer(o.config, { seed: o.seed + 3 });
  const recipe = vqRecipe(o.config, steps, o.seed);
  const task = vqTask(vq, o.train, recipe.loss);
  try {
    o.onModel?.(vq);
    const run = await new Trainer({ ...o.trainer, model: vq, tasks: [task] }).run([
      { name: 'stage0-vq', trainable: ['**'], lr, groups: recipe.groups, betas: [0.9, 0.99], batchSize, clipNorm: 1, length: { steps }, schedule: { kind: 'cosine', warmupRatio: 0.05, floor: 0.1 }, seed: o.seed },
    ]);
    return { vq, eval: evaluateTokenizer(vq, [...o.heldOut]), stage: run.stages[0] };
  } catch (e) {
    vq.dispose();
    throw e;
  } finally {
    task.release();
  }
}
