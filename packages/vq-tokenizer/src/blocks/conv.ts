import { tf, Conv2d, check, checkRank, type Tensor, type Conv2dOptions } from '@healthgpt/tensor-core';

type Pad4 = [number, number, number, number]; // top, bottom, left, right

function pad4(p: Conv2dOptions['padding']): Pad4 {
  if (p === undefined) return [0, 0, 0, 0];
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[0], p[1], p[1]];
  return p;
}

/**
 * A 'valid' NHWC convolution whose filter gradient is itself a (dilated) forward convolution, so it
 * trains on backends without a `Conv2DBackpropFilter` kernel (wasm in tfjs 4.22).
 * x: [B, Hp, Wp, Cin], filter: [kh, kw, Cin, Cout] → [B, H', W', Cout]
 */
const validConv = tf.customGrad((...args: unknown[]) => {
  const [x, filter, strideT, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor, (ts: Tensor[]) => void];
  const s = strideT.shape[0] as number; // the stride travels as the length of a dummy tensor
  save([x, filter]);
  const value = tf.conv2d(x, filter, s, 'valid');
  const gradFunc = (dy: Tensor, saved: Tensor[]) => {
    const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
    const [kh, kw] = fs.shape;
    const dx = tf.conv2dTranspose(dy as tf.Tensor4D, fs, xs.shape, s, 'valid');
    const xT = tf.transpose(xs, [3, 1, 2, 0]); // [Cin, Hp, Wp, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [H', W', B, Cout]
    let dw = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', s); // [Cin, ≥kh, ≥kw, Cout]
    if (dw.shape[1] !== kh || dw.shape[2] !== kw) dw = tf.slice(dw, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return [dx, tf.transpose(dw, [1, 2, 0, 3]), tf.zerosLike(strideT)]; // dw: [kh, kw, Cin, Cout]
  };
  return { value, gradFunc };
});

/**
 * Cross-correlation over NCHW with a PyTorch weight `[out, in, kh, kw]`, differentiable on every
 * backend. x: [B, Cin, H, W] → [B, Cout, H', W']
 */
export function conv2dTrainable(x: Tensor, weight: Tensor, bias: Tensor | null, { stride = 1, padding = 0 }: { stride?: number; padding?: Conv2dOptions['padding'] } = {}): Tensor {
  checkRank(x.shape, 4, 'x', 'conv2dTrainable');
  check(x.shape[1] === weight.shape[1], () => `'x' passed to 'conv2dTrainable' has ${x.shape[1]} channels, the weight expects ${weight.shape[1]}`);
  const [t, b, l, r] = pad4(padding);
  return tf.tidy(() => {
    let xh = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D; // [B, H, W, Cin]
    if (t || b || l || r) xh = tf.pad(xh, [[0, 0], [t, b], [l, r], [0, 0]]);
    const filter = tf.transpose(weight, [2, 3, 1, 0]); // [kh, kw, Cin, Cout]
    const strideT = tf.zeros([stride]);
    let y = validConv(xh, filter, strideT) as Tensor; // [B, H', W', Cout]
    if (bias) y = tf.add(y, bias);
    return tf.transpose(y, [0, 3, 1, 2]); // [B, Cout, H', W']
  });
}

/** tensor-core's `Conv2d` (same parameters and names) running `conv2dTrainable`. */
export class TrainableConv2d extends Conv2d {
  override forward(x: Tensor): Tensor {
    const stride = typeof this.stride === 'number' ? this.stride : this.stride[0];
    const bias = this.namedParameters().find(([n]) => n === 'bias')?.[1] ?? null;
    return conv2dTrainable(x, this.param('weight'), bias, { stride, padding: this.padding });
  }
}
