import { tf, type Tensor } from '../tf.js';
import { check } from '../errors.js';

export const IGNORE_INDEX = -100;

/**
 * Mean cross-entropy of `logits` [..., V] against int32 `labels` [...], skipping labels equal to
 * `ignoreIndex` (PyTorch `F.cross_entropy(ignore_index=-100)`). With no supervised label the loss
 * is 0 (PyTorch gives NaN), so a batch of prompts only does not poison a run.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, { ignoreIndex = IGNORE_INDEX } = {}): Tensor {
  const v = logits.shape[logits.rank - 1];
  check(labels.dtype === 'int32', () => `'labels' passed to 'crossEntropy' must be int32, got ${labels.dtype}`);
  check(
    labels.rank === logits.rank - 1 && labels.shape.every((d, i) => d === logits.shape[i]),
    () => `'labels' [${labels.shape}] passed to 'crossEntropy' must match the leading dims of 'logits' [${logits.shape}]`,
  );
  return tf.tidy(() => {
    const lg = logits.reshape([-1, v]); // [N, V]
    const lb = labels.reshape([-1]); // [N]
    const keep = tf.notEqual(lb, ignoreIndex);
    const safe = tf.where(keep, lb, tf.zerosLike(lb));
    const logp = tf.logSoftmax(lg, -1);
    const picked = tf.sum(tf.mul(logp, tf.oneHot(safe, v)), -1); // [N]
    const w = tf.cast(keep, 'float32');
    const count = tf.maximum(tf.sum(w), 1);
    return tf.div(tf.sub(0, tf.sum(tf.mul(picked, w))), count); // 0 − x, not −x: +0 when nothing is supervised
  });
}
