import { tf, type Tensor } from '../tf.js';
import { check } from '../errors.js';

/** Exact GELU: 0.5·x·(1 + erf(x/√2)) (PyTorch `nn.GELU()`). */
export function gelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** Tanh GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanh(x: Tensor): Tensor {
  return tf.tidy(() => {
    const x3 = tf.mul(tf.mul(x, x), x); // x*x*x: tf.pow is slow on wasm
    const inner = tf.mul(tf.add(x, tf.mul(x3, 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/** CLIP's quick_gelu: x·σ(1.702·x). */
export function quickGelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** SiLU / swish: x·σ(x). */
export function silu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

export type ActivationName = 'gelu' | 'gelu_pytorch_tanh' | 'gelu_new' | 'quick_gelu' | 'silu' | 'swish' | 'relu';

/** An activation by its HF config name (`hidden_act`). */
export function activation(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return gelu;
    case 'gelu_pytorch_tanh':
    case 'gelu_new':
      return geluTanh;
    case 'quick_gelu':
      return quickGelu;
    case 'silu':
    case 'swish':
      return silu;
    case 'relu':
      return (x) => tf.relu(x);
    default:
      check(false, `unknown activation '${name}' (expected one of gelu, gelu_pytorch_tanh, gelu_new, quick_gelu, silu, swish, relu)`);
  }
}
