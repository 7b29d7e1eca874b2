import { tf, type Tensor } from '../tf.js';
import { TensorCoreError, checkRank } from '../errors.js';

/**
 * Rotary tables for `positionIds` [B, T] (int32): cos and sin of pos·inv_freq repeated twice
 * (`cat[ang, ang]`), each [B, T, dim], with inv_freq[i] = theta^(−2i/dim).
 */
export function rotaryCosSin(positionIds: Tensor, dim: number, theta = 10000): { cos: Tensor; sin: Tensor } {
  checkRank(positionIds.shape, 2, 'positionIds', 'rotaryCosSin');
  TensorCoreError.check(dim % 2 === 0, 'ARGUMENT', `'dim' passed to 'rotaryCosSin' must be even, got ${dim}`);
  return tf.tidy(() => {
    const inv = new Float32Array(dim / 2);
    for (let i = 0; i < dim / 2; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / dim);
    const invFreq = tf.tensor1d(inv);
    const pos = tf.cast(positionIds, 'float32').expandDims(-1); // [B, T, 1]
    const ang = tf.mul(pos, invFreq); // [B, T, dim/2]
    const emb = tf.concat([ang, ang], -1); // [B, T, dim]
    return { cos: tf.cos(emb), sin: tf.sin(emb) };
  });
}

/** rotate_half(x) = cat[−x[d/2:], x[:d/2]] over the last axis. */
export function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, [d / 2, d / 2], -1);
    return tf.concat([tf.neg(x2), x1], -1);
  });
}

/** x·cos + rotate_half(x)·sin. x: [B, H, T, D]; cos, sin: [B, T, D]. */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  checkRank(x.shape, 4, 'x', 'applyRotary');
  return tf.tidy(() => {
    const c = cos.expandDims(1); // [B, 1, T, D]
    const s = sin.expandDims(1);
    return tf.add(tf.mul(x, c), tf.mul(rotateHalf(x), s));
  });
}
