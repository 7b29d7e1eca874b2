import { tf } from './tf.js';

/**
 * `tf.tidy` for functions that return any structure of tensors, typed as the function's own
 * result (tfjs types the result as a `TensorContainer`, which interfaces without an index
 * signature are not). Tensors reachable from the result are kept, everything else is disposed.
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
