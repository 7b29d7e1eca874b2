import { tf, IGNORE_INDEX, type Tensor } from '@healthgpt/tensor-core';
import { IMAGE_TOKEN_INDEX } from '@healthgpt/decoder';

/** One row to splice: its ids without padding (−200 marks each image), labels, and its images' features. */
export interface SpliceRow {
  ids: readonly number[];
  labels?: readonly number[];
  /** Projected features of this row's images, in order, each [P, hidden]. */
  images: readonly Tensor[];
}

export interface Spliced {
  /** [B, T, hidden], padded with zero vectors. */
  embeds: Tensor;
  /** [B, T]: 1 on real positions. */
  mask: number[][];
  /** [B, T] labels, −100 on image positions and padding; null when no row had labels. */
  labels: number[][] | null;
  /** Each row's spliced length. */
  lengths: number[];
}

/** Lengths of a row after splicing: every sentinel becomes P positions. */
export function splicedLength(ids: readonly number[], patches: number): number {
  let n = 0;
  for (const id of ids) n += id === IMAGE_TOKEN_INDEX ? patches : 1;
  return n;
}

/**
 * LLaVA's `prepare_inputs_labels_for_multimodal` for a batch: per row, the text between sentinels
 * is embedded with `embed` and each sentinel replaced by its image's features (labels −100 there);
 * rows are then padded to the longest with zero vectors, mask 0 and label −100, on the right
 * (training) or the left (generation).
 */
export function spliceRows(rows: readonly SpliceRow[], embed: (ids: number[]) => Tensor, hidden: number, padding: 'right' | 'left'): Spliced {
  const withLabels = rows.some((r) => r.labels !== undefined);
  const labelRows: number[][] = [];
  const lengths: number[] = [];
  const embeds = tf.tidy(() => {
    const seqs = rows.map((row) => {
      const text = row.ids.filter((id) => id !== IMAGE_TOKEN_INDEX);
      const table = text.length ? embed(text) : null; // [n, hidden]
      const parts: Tensor[] = [];
      const labels: number[] = [];
      let start = 0;
      let img = 0;
      const flush = (end: number) => {
        if (end > start) parts.push(table!.slice([start, 0], [end - start, hidden]));
        start = end;
      };
      let t = 0;
      row.ids.forEach((id, j) => {
        if (id === IMAGE_TOKEN_INDEX) {
          flush(t);
          const f = row.images[img++];
          parts.push(f);
          for (let p = 0; p < f.shape[0]; p++) labels.push(IGNORE_INDEX);
        } else {
          t++;
          labels.push(row.labels ? row.labels[j] : IGNORE_INDEX);
        }
      });
      flush(t);
      labelRows.push(labels);
      lengths.push(labels.length);
      return parts.length === 1 ? parts[0] : tf.concat(parts, 0); // [L, hidden]
    });
    const len = Math.max(...lengths);
    const padded = seqs.map((s) => {
      const gap = len - s.shape[0];
      if (!gap) return s;
      const zeros = tf.zeros([gap, hidden]);
      return padding === 'right' ? tf.concat([s, zeros], 0) : tf.concat([zeros, s], 0);
    });
    return tf.stack(padded); // [B, T, hidden]
  });
  const len = embeds.shape[1]!;
  const pad = <T>(row: T[], fill: T): T[] => {
    const gap = new Array<T>(len - row.length).fill(fill);
    return padding === 'right' ? [...row, ...gap] : [...gap, ...row];
  };
  return {
    embeds,
    mask: lengths.map((l) => pad(new Array<number>(l).fill(1), 0)),
    labels: withLabels ? labelRows.map((l) => pad(l, IGNORE_INDEX)) : null,
    lengths,
  };
}
