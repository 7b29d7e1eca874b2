import { tf, type Tensor } from '@healthgpt/tensor-core';
import { selectTaskFeatures, type CLIPVisionModel, type Projector } from '@healthgpt/vision-encoder';
import type { HealthGPTConfig } from '../config/parse.js';
import { ModelError } from '../errors.js';

/** Check pixel values against the tower: [N, channels, S, S] float32. */
export function checkPixelValues(pixelValues: Tensor, config: HealthGPTConfig): void {
  const { num_channels: c, image_size: s } = config.vision;
  const sh = pixelValues.shape;
  ModelError.check(pixelValues.dtype === 'float32', 'IMAGE', () => `'pixelValues' must be float32, got ${pixelValues.dtype}`);
  ModelError.check(sh.length === 4, 'IMAGE', () => `'pixelValues' must be [N, ${c}, ${s}, ${s}] (NCHW), got [${sh.join(', ')}]`);
  ModelError.check(sh[1] === c, 'IMAGE', () => `'pixelValues' must have ${c} channels (NCHW), got ${sh[1]} in [${sh.join(', ')}]`);
  ModelError.check(sh[2] === s && sh[3] === s, 'IMAGE', () => `'pixelValues' images must be ${s}×${s} (the tower's image_size), got ${sh[2]}×${sh[3]}`);
}

/**
 * The projected features of every image, each [P, hidden]: one tower forward over `pixelValues`,
 * then each image's task picks its layer (`select_layer`, CLS dropped) and projector.
 * `imageTasks[i]` is image i's task. Call inside a `tf.tidy`.
 */
export function imageFeatures(
  tower: CLIPVisionModel,
  projector: (task: string) => Projector,
  pixelValues: Tensor,
  imageTasks: readonly string[],
  config: HealthGPTConfig,
): Tensor[] {
  const out = tower.forward(pixelValues); // hiddenStates: L + 1 × [N, P + 1, Dv]
  const layers = Object.fromEntries([...config.tasks.values()].map((t) => [t.name, t.selectLayer]));
  const groups = selectTaskFeatures(out.hiddenStates, imageTasks, { layers });
  const result: Tensor[] = new Array(imageTasks.length);
  for (const g of groups) {
    const projected = projector(g.task).forward(g.features); // [n, P, hidden]
    const [, pp, d] = projected.shape;
    g.rows.forEach((row, k) => (result[row] = projected.slice([k, 0, 0], [1, pp, d]).reshape([pp, d]))); // slices, not unstack: tfjs' Unpack gradient fails when an output gets none
  }
  return result;
}
