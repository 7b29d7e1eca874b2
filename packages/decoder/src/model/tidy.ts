import { tf } from '@healthgpt/tensor-core';

/** `tf.tidy` for functions returning typed objects of tensors (interfaces lack tfjs's index signature). */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
