import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';

/**
 * One attention layer's KV cache: keys (after RoPE) and values, each [B, kvHeads, T, headDim].
 * The caller owns the tensors and disposes them.
 */
export interface LayerKV {
  keys: Tensor;
  values: Tensor;
}

/**
 * The cache after this step: `past` (may be undefined) followed along T by the step's `keys` and
 * `values` [B, kvHeads, Tnew, headDim]. Returns new tensors (or the step's own when there is no
 * past); `past` is left untouched.
 */
export function appendKV(past: LayerKV | undefined, keys: Tensor, values: Tensor): LayerKV {
  if (!past) return { keys, values };
  const [b, hkv, , hd] = past.keys.shape;
  TensorCoreError.check(keys.shape[0] === b && keys.shape[1] === hkv && keys.shape[3] === hd && values.shape.join() === keys.shape.join(), 'ARGUMENT', () =>
    `'keys' and 'values' passed to 'appendKV' must be [${b}, ${hkv}, T, ${hd}] like the cache, got [${keys.shape.join(', ')}] and [${values.shape.join(', ')}]`);
  return { keys: tf.concat([past.keys, keys], 2), values: tf.concat([past.values, values], 2) };
}
