import type { RawImage } from '@healthgpt/tensor-core';
import type { HealthGPT, EncodedSample } from '@healthgpt/model';
import type { Sample } from '@healthgpt/vl-health';
import { TrainerError } from '../errors.js';

/** Resolves a sample's image path to its decoded image (e.g. a synthetic set's map, or `loadImage` under a data root). */
export type ImageResolver = (path: string) => RawImage | Promise<RawImage>;

/** An encoded sample with the vl-health sample it came from. */
export interface TrainItem extends EncodedSample {
  sample: Sample;
  /** Its subtask (`vqa`, `caption`, `super-resolution`, …): what stage mixtures name. */
  subtask: string;
}

/**
 * Encode samples once through the model's processor (chat template, labels on replies, images
 * preprocessed, generation targets turned into VQ codes and cached): the items the training
 * tasks draw batches from. A sample that cannot be encoded is a `TrainerError` `DATA` naming it.
 */
export async function encodeSamples(model: HealthGPT, samples: readonly Sample[], images: ImageResolver): Promise<TrainItem[]> {
  const proc = model.processor;
  const out: TrainItem[] = [];
  for (const s of samples) {
    try {
      const imgs = await Promise.all(s.images.map((p) => images(p)));
      const target = s.targetImage !== undefined ? await images(s.targetImage) : undefined;
      const enc = proc.encodeSample(s, imgs, target);
      out.push({ ...enc, sample: s, subtask: s.subtask ?? s.task });
    } catch (e) {
      throw new TrainerError('DATA', `sample '${s.id}' cannot be encoded: ${(e as Error).message}`, { key: s.id, cause: e });
    }
  }
  return out;
}

/** Items grouped by subtask, in order of first appearance. */
export function bySubtask(items: readonly TrainItem[]): Map<string, TrainItem[]> {
  const m = new Map<string, TrainItem[]>();
  for (const it of items) m.set(it.subtask, [...(m.get(it.subtask) ?? []), it]);
  return m;
}
