import { tf, type Tensor } from '@healthgpt/tensor-core';
import type { HealthGPT } from './healthgpt.js';
import { ModelError } from '../errors.js';
import { inputRows, groupByTask, type HealthGPTInput, type InputRow } from './inputs.js';
import { spliceRows, splicedLength, type Spliced } from './splice.js';
import { checkPixelValues, imageFeatures } from './vision.js';

/** The spliced embeddings of one task group of a batch (`rows` are batch indices). */
export interface SplicedGroup extends Spliced {
  task: string;
  rows: number[];
}

/** A batch checked against the model: rows without padding, each row's task, each image's task. */
export interface PreparedBatch {
  rows: InputRow[];
  tasks: string[];
  imageTasks: string[];
  pixelValues?: Tensor;
}

/** One task name for all rows, one per row, or the model's first task. */
function rowTasks(model: HealthGPT, task: HealthGPTInput['task'], b: number): string[] {
  const tasks = task === undefined ? new Array<string>(b).fill(model.tasks[0]) : typeof task === 'string' ? new Array<string>(b).fill(task) : [...task];
  ModelError.check(tasks.length === b, 'ARGUMENT', () => `'task' must name one task or one per row (${b}), got ${tasks.length}`);
  tasks.forEach((t) => model.task(t));
  return tasks;
}

/**
 * Check a batch before any tensor is made: ids, tasks, images (size, channels, one per `<image>`)
 * and every row's spliced length plus `extra` positions to generate against `max_length`.
 */
export function prepareBatch(model: HealthGPT, input: HealthGPTInput, extra = 0): PreparedBatch {
  const cfg = model.config;
  const rows = inputRows(input, cfg.text.vocabSize);
  const tasks = rowTasks(model, input.task, rows.length);
  const tags = rows.reduce((n, r) => n + r.images, 0);
  const given = input.pixelValues ? input.pixelValues.shape[0] : 0;
  if (input.pixelValues) checkPixelValues(input.pixelValues, cfg);
  if (tags !== given) {
    const per = rows.map((r, i) => `row ${i}: ${r.images}`).join(', ');
    throw new ModelError('IMAGE_COUNT', `the prompts hold ${tags} <image> tag(s) (${per}) but ${given} image(s) were given`);
  }
  checkRoom(model, rows, extra);
  const imageTasks = rows.flatMap((r, i) => new Array<string>(r.images).fill(tasks[i]));
  return { rows, tasks, imageTasks, ...(input.pixelValues ? { pixelValues: input.pixelValues } : {}) };
}

/** Every row's spliced length plus `extra` positions to generate must fit in `max_length`. */
export function checkRoom(model: HealthGPT, rows: readonly InputRow[], extra = 0): void {
  const p = model.patchesPerImage;
  const max = model.config.maxLength;
  rows.forEach((r, i) => {
    const len = splicedLength(r.ids, p);
    ModelError.check(len + extra <= max, 'PROMPT_TOO_LONG', () => `row ${i} is ${len} positions after splicing (${r.images} image(s) × ${p} patches)${extra ? ` + ${extra} to generate` : ''}, more than max_length ${max}`, { record: i });
  });
}

/**
 * Per-image projected features [P, hidden], each image through its task's layer and projector.
 * The tower runs once per task on that task's images (a sub-batch, as the decoder's), so an
 * image's features do not depend on what else is in the batch, bit for bit, whatever the matmul
 * engine. Inside a tidy.
 */
export function batchFeatures(model: HealthGPT, pixelValues: Tensor | undefined, imageTasks: readonly string[]): Tensor[] {
  if (!pixelValues || !imageTasks.length) return [];
  const out: Tensor[] = new Array(imageTasks.length);
  for (const { task, rows } of groupByTask(imageTasks)) {
    const pv = rows.length === imageTasks.length ? pixelValues : tf.gather(pixelValues, tf.tensor1d(rows, 'int32'));
    const feats = imageFeatures(model.visionTower, (t) => model.projector(t), pv, new Array<string>(rows.length).fill(task), model.config);
    rows.forEach((r, k) => (out[r] = feats[k]));
  }
  return out;
}

/** Splice each task group's rows, their images' features in place of the sentinels. Inside a tidy. */
export function spliceBatch(model: HealthGPT, b: PreparedBatch, padding: 'right' | 'left'): SplicedGroup[] {
  const feats = batchFeatures(model, b.pixelValues, b.imageTasks);
  const hidden = model.config.text.hiddenSize;
  const firstImage: number[] = [];
  b.rows.reduce((n, r, i) => ((firstImage[i] = n), n + r.images), 0);
  const embed = (ids: number[]) => model.lm.embedTokens([ids]).reshape([ids.length, hidden]);
  return groupByTask(b.tasks).map(({ task, rows }) => {
    const spliceIn = rows.map((i) => ({ ids: b.rows[i].ids, labels: b.rows[i].labels, images: feats.slice(firstImage[i], firstImage[i] + b.rows[i].images) }));
    return { task, rows, ...spliceRows(spliceIn, embed, hidden, padding) };
  });
}
