import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { nativeCrossEntropy, nativeCrossEntropyServes } from '../native/cross_entropy.js';

export const IGNORE_INDEX = -100;

type GradFn = Parameters<typeof tf.customGrad>[0];

function checkArgs(logits: Tensor, labels: Tensor, op: string): number {
  const v = logits.shape[logits.rank - 1];
  TensorCoreError.check(labels.dtype === 'int32', 'ARGUMENT', () => `'labels' passed to '${op}' must be int32, got ${labels.dtype}`);
  TensorCoreError.check(
    labels.rank === logits.rank - 1 && labels.shape.every((d, i) => d === logits.shape[i]),
    'ARGUMENT',
    () => `'labels' [${labels.shape}] passed to '${op}' must match the leading dims of 'logits' [${logits.shape}]`,
  );
  return v;
}

/**
 * Mean cross-entropy of `logits` [..., V] against int32 `labels` [...], skipping labels equal to
 * `ignoreIndex` (PyTorch `F.cross_entropy(ignore_index=-100)`). With no supervised label the loss
 * is 0 (PyTorch gives NaN), so a batch of prompts only does not poison a run.
 *
 * One op with a hand-written gradient: p = softmax(x) (one kernel), log p[label] = x[label] − m −
 * log s with m the row max and s = Σ exp(x − m) = 1 / max(p), and d loss / dx = (p − onehot) ·
 * w / count. Labels outside [0, V) other than `ignoreIndex` count in the mean but add 0 (as the
 * one-hot formula of the definition does).
 */
export function crossEntropy(logits: Tensor, labels: Tensor, { ignoreIndex = IGNORE_INDEX } = {}): Tensor {
  const v = checkArgs(logits, labels, 'crossEntropy');
  if (nativeCrossEntropyServes(logits) && Number.isInteger(ignoreIndex) && ignoreIndex === (ignoreIndex | 0)) {
    return tf.tidy(() => nativeCrossEntropy(logits.reshape([-1, v]), labels.reshape([-1]), ignoreIndex));
  }
  return tf.tidy(() => {
    const lg = logits.reshape([-1, v]); // [N, V]
    const lb = labels.reshape([-1]); // [N]
    const keep = tf.notEqual(lb, ignoreIndex);
    const safe = tf.where(keep, lb, tf.zerosLike(lb));
    const onehot = tf.cast(tf.oneHot(safe, v), 'float32'); // [N, V] (wasm's OneHot writes float32 wrong)
    const inRange = tf.logicalAnd(keep, tf.logicalAnd(tf.greaterEqual(lb, 0), tf.less(lb, v)));
    const rowW = tf.cast(inRange, 'float32').reshape([-1, 1]); // [N, 1]
    const count = tf.maximum(tf.sum(tf.cast(keep, 'float32')), 1);
    const op = tf.customGrad(((x: Tensor, save: (t: Tensor[]) => void) => {
      const p = tf.softmax(x, -1); // [N, V]
      const logS = tf.neg(tf.log(tf.max(p, -1, true))); // [N, 1]: log Σ exp(x − m)
      const logp = tf.sub(tf.sum(tf.mul(x, onehot), -1, true), tf.add(tf.max(x, -1, true), logS)); // [N, 1]
      const value = tf.div(tf.sub(0, tf.sum(tf.mul(logp, rowW))), count); // 0 − x: +0 when nothing is supervised
      save([p, onehot, rowW, count]);
      return {
        value,
        gradFunc: (dy: Tensor, [sp, so, sw, sc]: Tensor[]) => tf.tidy(() => tf.mul(tf.sub(sp, so), tf.mul(sw, tf.div(dy, sc)))),
      };
    }) as unknown as GradFn);
    return op(lg) as Tensor;
  });
}
