import { tf, attentionMask, type Tensor } from '@healthgpt/tensor-core';

/**
 * The additive attention bias `[B or 1, 1, Tq, Tk]`: 0 where key j is visible to query i, a large
 * negative number elsewhere. Query i sits at cache slot `Tk − Tq + i`; key j is visible iff
 * j ≤ that slot, `mask[b, j] ≠ 0`, and (with a sliding window w) slot − j ≤ w, as in HF.
 * Returns null when nothing is masked (one query, no padding, no window reached).
 */
export function attentionBias(tq: number, tk: number, mask: Tensor | null, slidingWindow: number | null): Tensor | null {
  const windowBites = slidingWindow !== null && tk - 1 > slidingWindow;
  if (!mask && tq === 1 && !windowBites) return null;
  return attentionMask(tq, tk, { causal: true, keyMask: mask ?? undefined, slidingWindow: windowBites ? slidingWindow : null });
}

/**
 * Position ids for the last `t` slots, HF generate's convention: `cumsum(mask) − 1` with masked
 * slots set to 1. mask: [B, Tk] → int32 [B, t].
 */
export function positionIdsFromMask(mask: Tensor, t: number): Tensor {
  return tf.tidy(() => {
    const m = tf.cast(tf.notEqual(mask, 0), 'int32'); // [B, Tk]
    const pos = tf.sub(tf.cumsum(m, 1), 1);
    const fixed = tf.where(tf.equal(m, 0), tf.onesLike(pos), pos);
    const tk = mask.shape[1]!;
    return fixed.slice([0, tk - t], [mask.shape[0], t]); // [B, t]
  });
}

/** Positions `past … past + t − 1` for every row: int32 [B, t]. */
export function arangePositions(b: number, past: number, t: number): Tensor {
  return tf.tidy(() => tf.tile(tf.range(past, past + t, 1, 'int32').reshape([1, t]), [b, 1]));
}
