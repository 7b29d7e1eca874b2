import { tf, type Tensor } from '../tf.js';

/** The identity forward, zero gradient backward (PyTorch's `.detach()`; tfjs has no such op). */
export const stopGradient = tf.customGrad((...args: unknown[]) => {
  const x = args[0] as Tensor;
  return { value: tf.clone(x), gradFunc: (dy: Tensor) => tf.zerosLike(dy) };
}) as (x: Tensor) => Tensor;
