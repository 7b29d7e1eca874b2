import { tf, type Tensor } from '@healthgpt/tensor-core';
import { IMAGE_TOKEN_INDEX } from '@healthgpt/decoder';
import { ModelError } from '../errors.js';

/** A batch for `HealthGPT.forward`: ids with −200 sentinels, optional mask and labels, images, tasks. */
export interface HealthGPTInput {
  /** [B, T] token ids; −200 (`IMAGE_TOKEN_INDEX`) marks each image. Padded rows need `attentionMask`. */
  inputIds: readonly (readonly number[])[] | Tensor;
  /** [B, T]: 1 on real tokens, 0 on padding (either side); padding is dropped before splicing. */
  attentionMask?: readonly (readonly number[])[] | Tensor;
  /** [B, T] labels aligned with `inputIds` (−100 = not supervised). With labels the forward returns the loss. */
  labels?: readonly (readonly number[])[] | Tensor;
  /** [N, channels, S, S] normalised pixel values: one image per sentinel, in row-major order over the batch. */
  pixelValues?: Tensor;
  /** The task of every row (or one for all); default: the model's first task. */
  task?: string | readonly string[];
}

/** One row as the forward uses it: padding removed. */
export interface InputRow {
  ids: number[];
  labels?: number[];
  /** Number of sentinels in `ids`. */
  images: number;
}

const toRows = (x: readonly (readonly number[])[] | Tensor, what: string): number[][] => {
  if (x instanceof tf.Tensor) {
    ModelError.check(x.rank === 2, 'ARGUMENT', () => `'${what}' passed to 'HealthGPT.forward' must be rank 2 [B, T], got [${x.shape.join(', ')}]`);
    return x.arraySync() as number[][];
  }
  ModelError.check(Array.isArray(x) && x.every((r) => Array.isArray(r)), 'ARGUMENT', `'${what}' passed to 'HealthGPT.forward' must be a [B, T] array of rows`);
  return x.map((r) => [...r]);
};

/**
 * The rows of a batch without padding, checked: ids are integers in [0, vocab) or the sentinel;
 * mask and labels have the ids' shape.
 */
export function inputRows(input: HealthGPTInput, vocab: number): InputRow[] {
  const ids = toRows(input.inputIds, 'inputIds');
  ModelError.check(ids.length > 0, 'ARGUMENT', `'inputIds' passed to 'HealthGPT.forward' must have at least one row`);
  const mask = input.attentionMask === undefined ? null : toRows(input.attentionMask, 'attentionMask');
  const labels = input.labels === undefined ? null : toRows(input.labels, 'labels');
  for (const [what, m] of [['attentionMask', mask], ['labels', labels]] as const)
    if (m) ModelError.check(m.length === ids.length && m.every((r, i) => r.length === ids[i].length), 'ARGUMENT', `'${what}' passed to 'HealthGPT.forward' must have the shape of 'inputIds'`);
  return ids.map((row, b) => {
    const keep = row.map((_, j) => (mask ? mask[b][j] !== 0 : true));
    const kept = row.filter((_, j) => keep[j]);
    ModelError.check(kept.length > 0, 'ARGUMENT', `row ${b} of 'inputIds' has no unmasked token`, { record: b });
    kept.forEach((id, j) =>
      ModelError.check((Number.isInteger(id) && id >= 0 && id < vocab) || id === IMAGE_TOKEN_INDEX, 'ARGUMENT', () => `'inputIds' row ${b}: ${id} at position ${j} is neither a token id in [0, ${vocab}) nor the image sentinel ${IMAGE_TOKEN_INDEX}`, { record: b }),
    );
    const out: InputRow = { ids: kept, images: kept.filter((id) => id === IMAGE_TOKEN_INDEX).length };
    if (labels) out.labels = labels[b].filter((_, j) => keep[j]);
    return out;
  });
}

/** Rows grouped by task, in order of first appearance; `rows` are batch indices. */
export function groupByTask(tasks: readonly string[]): { task: string; rows: number[] }[] {
  const groups = new Map<string, number[]>();
  tasks.forEach((t, r) => groups.set(t, [...(groups.get(t) ?? []), r]));
  return [...groups].map(([task, rows]) => ({ task, rows }));
}
