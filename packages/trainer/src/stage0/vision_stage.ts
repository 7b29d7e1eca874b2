import { tf, type Tensor } from '@healthgpt/tensor-core';
import type { HFTokenizer } from '@healthgpt/decoder';
import { CLIPVisionModel, clipImageProcessorConfig, preprocessSteps, type CLIPVisionConfig } from '@healthgpt/vision-encoder';
import type { Sample } from '@healthgpt/vl-health';
import { Trainer, type StageResult, type TrainerOptions } from '../loop/trainer.js';
import type { ImageResolver } from '../healthgpt/data.js';
import { ContrastiveModel, contrastiveTask, type CaptionPair } from './clip.js';
import { towerFeatures, linearProbe } from './probe.js';

/** Stage 0's vision budget: contrastive steps, batch and lr. */
export interface Stage0VisionBudget {
  steps: number;
  batchSize: number;
  lr: number;
}

export interface Stage0VisionOptions {
  config: Partial<CLIPVisionConfig>;
  tokenizer: HFTokenizer;
  /** Image–text pairs of the training split. */
  captions: readonly { image: string; text: string }[];
  /** Probe sets: each distinct image's labels (training split, held-out split). */
  probe: { train: ReadonlyMap<string, Record<string, string>>; heldOut: ReadonlyMap<string, Record<string, string>> };
  images: ImageResolver;
  budget: Stage0VisionBudget;
  seed: number;
  trainer?: Omit<TrainerOptions, 'model' | 'tasks'>;
  onModel?: (m: ContrastiveModel) => void;
}

export interface Stage0VisionResult {
  tower: CLIPVisionModel;
  /** Linear-probe accuracy per label of the tower before (random) and after pretraining. */
  probe: { random: Record<string, number>; pretrained: Record<string, number> };
  stage: StageResult;
}

/**
 * Stage 0's vision part: a tower of `config` pretrained from scratch CLIP-style on the training
 * captions, and a linear probe of every label on held-out images before and after. The caller disposes `tower`.
 */
export async function trainStage0Vision(o: Stage0VisionOptions): Promise<Stage0VisionResult> {
  const size = o.config.image_size!;
  const proc = clipImageProcessorConfig(size);
  const pix = async (p: string) => preprocessSteps(await o.images(p), proc).pixelValues;
  const pairs: CaptionPair[] = [];
  for (const c of o.captions) pairs.push({ pixels: await pix(c.image), ids: o.tokenizer.encode(c.text, { addSpecialTokens: false }) });
  const stack = async (m: ReadonlyMap<string, Record<string, string>>) => {
    const list = [...m];
    const px = new Float32Array(list.length * 3 * size * size);
    for (const [i, [p]] of list.entries()) px.set(await pix(p), i * 3 * size * size);
    return { pixels: tf.tensor4d(px, [list.length, 3, size, size]), labels: list.map(([, l]) => l) };
  };
  const tower = new CLIPVisionModel(o.config, { seed: o.seed + 1 });
  const sets: { pixels: Tensor; labels: Record<string, string>[] }[] = [];
  try {
    sets.push(await stack(o.probe.train), await stack(o.probe.heldOut));
    const [a, b] = sets;
    const keys = Object.keys(a.labels[0] ?? {});
    const probe = () => {
      const fa = towerFeatures(tower, a.pixels);
      const fb = towerFeatures(tower, b.pixels);
      return Object.fromEntries(keys.map((k) => [k, linearProbe({ x: fa, y: a.labels.map((l) => l[k]) }, { x: fb, y: b.labels.map((l) => l[k]) })]));
    };
    const random = keys.length && b.labels.length ? probe() : {};
    const clip = new ContrastiveModel(tower, o.tokenizer.length, { seed: o.seed + 2 });
    let stage: StageResult;
    try {
      o.onModel?.(clip);
      const run = await new Trainer({ ...o.trainer, model: clip, tasks: [contrastiveTask(clip, pairs, size)] }).run([
        { name: 'stage0-vision', trainable: ['**'], lr: o.budget.lr, weightDecay: 0.05, batchSize: o.budget.batchSize, clipNorm: 1, length: { steps: o.budget.steps }, schedule: { kind: 'cosine', warmupRatio: 0.05, floor: 0.1 }, seed: o.seed },
      ]);
      stage = run.stages[0];
    } finally {
      clip.deleteSubmodule('vision'); // the tower lives on; the projection heads and text tower go
      clip.dispose();
    }
    const pretrained = keys.length && b.labels.length ? probe() : {};
    return { tower, probe: { random, pretrained }, stage };
  } catch (e) {
    tower.dispose();
    throw e;
  } finally {
    tf.dispose(sets.map((s) => s.pixels));
  }
}
