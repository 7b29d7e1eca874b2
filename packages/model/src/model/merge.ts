import { tf, IGNORE_INDEX, type Tensor } from '@healthgpt/tensor-core';
import type { SplicedGroup } from './batch.js';

/** Targets the shifted loss scores in each row: labels[:, 1:] that are not −100. */
export function supervisedTargets(labels: readonly (readonly number[])[]): number {
  return labels.reduce((n, r) => n + r.slice(1).filter((l) => l !== IGNORE_INDEX).length, 0);
}

/** The batch mean over every supervised target from per-group means: Σ loss_g · n_g / Σ n_g (one group: its loss). */
export function batchLoss(losses: Tensor[], counts: number[]): Tensor {
  if (losses.length === 1) return losses[0];
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return tf.scalar(0);
  return tf.addN(losses.map((l, i) => tf.mul(l, counts[i] / total)));
}

/**
 * Per-group tensors [Bg, Tg, ...] → one [B, T, ...] in batch order (zeros after each row's
 * group length), with the groups' masks and labels merged the same way. Inside a tidy.
 */
export function mergeGroups(groups: (SplicedGroup & { value: Tensor })[], b: number): { value: Tensor; mask: number[][]; labels: number[][] | null } {
  const t = Math.max(...groups.map((g) => g.value.shape[1]!));
  const mask: number[][] = new Array(b);
  const labels: number[][] | null = groups.some((g) => g.labels) ? new Array(b) : null;
  const parts = groups.map((g) => {
    const gap = t - g.value.shape[1]!;
    g.rows.forEach((row, k) => {
      mask[row] = [...g.mask[k], ...new Array<number>(gap).fill(0)];
      if (labels) labels[row] = [...(g.labels?.[k] ?? new Array<number>(g.mask[k].length).fill(IGNORE_INDEX)), ...new Array<number>(gap).fill(IGNORE_INDEX)];
    });
    if (!gap) return g.value;
    const pad = [...g.value.shape];
    pad[1] = gap;
    return tf.concat([g.value, tf.zeros(pad)], 1);
  });
  const order = groups.flatMap((g) => g.rows);
  let value = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  if (order.some((r, i) => r !== i)) {
    const inverse = new Array<number>(b);
    order.forEach((r, i) => (inverse[r] = i));
    value = tf.gather(value, tf.tensor1d(inverse, 'int32'));
  }
  return { value, mask, labels };
}
