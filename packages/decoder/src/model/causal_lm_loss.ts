import { tf, crossEntropy, IGNORE_INDEX, type Tensor } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';

const OP = 'DecoderLM.forward';

/**
 * `labels` as given (int32 tensor or nested arrays) → an int32 tensor [B, T], checked: the shape
 * matches the input, and every value is an integer in [0, vocab) or −100 (ignored). Float arrays
 * and float tensors are refused, never truncated; the row and position of a bad value are named.
 */
export function toLabelsTensor(labels: Tensor | readonly (readonly number[])[], b: number, t: number, vocab: number): Tensor {
  let flat: ArrayLike<number>;
  if (labels instanceof tf.Tensor) {
    DecoderError.check(labels.dtype === 'int32', 'ARGUMENT', () => `'labels' passed to '${OP}' must be an int32 tensor, got ${labels.dtype}`);
    DecoderError.check(labels.rank === 2 && labels.shape[0] === b && labels.shape[1] === t, 'ARGUMENT', () => `'labels' passed to '${OP}' must be [${b}, ${t}] like the input, got [${labels.shape.join(', ')}]`);
    flat = labels.dataSync();
  } else {
    DecoderError.check(Array.isArray(labels) && labels.length === b && labels.every((r) => Array.isArray(r) && r.length === t), 'ARGUMENT', () => `'labels' passed to '${OP}' must be a [${b}, ${t}] array like the input`);
    flat = labels.flat();
  }
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (v === IGNORE_INDEX || (Number.isInteger(v) && v >= 0 && v < vocab)) continue;
    throw new DecoderError('ARGUMENT', `'labels' passed to '${OP}' must be integers in [0, ${vocab}) or ${IGNORE_INDEX} (ignored), got ${v} at [${Math.floor(i / t)}, ${i % t}]`, { record: Math.floor(i / t) });
  }
  return labels instanceof tf.Tensor ? labels : tf.tensor2d(flat as number[], [b, t], 'int32');
}

/**
 * The causal-LM loss of HF's `*ForCausalLM`: position t's logits predict the label at t + 1, so
 * logits[:, :-1] [B, T−1, V] are scored against labels[:, 1:] [B, T−1], and the cross-entropy is
 * the mean over the supervised (≠ −100) targets. With none (or T = 1) the loss is 0, not NaN.
 *
 * The labels move instead of the logits: every position t < T − 1 is scored against label t + 1
 * and the last one against −100 (ignored), which is the same sum over the same count, without a
 * [B, T−1, V] copy of the logits forward and its padding back to [B, T, V] in the backward pass.
 */
export function causalLmLoss(logits: Tensor, labels: Tensor): Tensor {
  return tf.tidy(() => {
    const [b, t] = logits.shape;
    if (t < 2) return tf.scalar(0);
    const targets = tf.concat([labels.slice([0, 1], [b, t - 1]), tf.fill([b, 1], IGNORE_INDEX, 'int32')], 1); // [B, T]: label t + 1, then −100
    return crossEntropy(logits, targets);
  });
}
