import { tf, Conv2d, check, checkRank, type Tensor, type Conv2dOptions } from '@healthgpt/tensor-core';

type Pad4 = [number, number, number, number]; // top, bottom, left, right

function pad4(p: Conv2dOptions['padding']): Pad4 {
  if (p === undefined) return [0, 0, 0, 0];
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[0], p[1], p[1]];
  return p;
}

/** Insert s−1 zeros between rows and columns: [B, H, W, C] → [B, (H−1)s+1, (W−1)s+1, C] */
function dilate(x: Tensor, s: number): Tensor {
  if (s === 1) return x;
  const [b, h, w, c] = x.shape;
  const cols = tf.pad(x.reshape([b * h, w, 1, c]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]).reshape([b, h, 1, w * s * c]); // [B, H, 1, W·s·C]
  const rows = tf.pad(cols, [[0, 0], [0, 0], [0, s - 1], [0, 0]]).reshape([b, h * s, w * s, c]); // [B, H·s, W·s, C]
  return tf.slice(rows, [0, 0, 0, 0], [b, (h - 1) * s + 1, (w - 1) * s + 1, c]);
}

/**
 * A 'valid' NHWC convolution whose gradients are forward convolutions too: the input gradient
 * convolves the (dilated, padded) output gradient with the flipped filter, the filter gradient is a
 * dilated convolution of the input with the output gradient. Forward convolutions run in XNNPACK on
 * wasm, where tfjs 4.22 has no `Conv2DBackpropFilter` and a slow `Conv2DBackpropInput`.
 * x: [B, Hp, Wp, Cin], filter: [kh, kw, Cin, Cout] → [B, H', W', Cout]
 */
const makeValidConv = (s: number) => tf.customGrad((...args: unknown[]) => {
  const [x, filter, save] = args as [tf.Tensor4D, tf.Tensor4D, (ts: Tensor[]) => void];
  save([x, filter]);
  const value = tf.conv2d(x, filter, s, 'valid');
  const gradFunc = (dy: Tensor, saved: Tensor[]) => {
    const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
    const [kh, kw] = fs.shape;
    const [, hp, wp] = xs.shape;
    const [, ho, wo] = dy.shape;
    const extraH = hp - ((ho - 1) * s + kh); // input rows no window reached
    const extraW = wp - ((wo - 1) * s + kw);
    const dyd = tf.pad(dilate(dy, s), [[0, 0], [kh - 1, kh - 1 + extraH], [kw - 1, kw - 1 + extraW], [0, 0]]) as tf.Tensor4D;
    const flipped = tf.transpose(tf.reverse(fs, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, Cout, Cin]
    const dx = tf.conv2d(dyd, flipped, 1, 'valid'); // [B, Hp, Wp, Cin]
    const xT = tf.transpose(xs, [3, 1, 2, 0]); // [Cin, Hp, Wp, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [H', W', B, Cout]
    let dw = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', s); // [Cin, ≥kh, ≥kw, Cout]
    if (dw.shape[1] !== kh || dw.shape[2] !== kw) dw = tf.slice(dw, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return [dx, tf.transpose(dw, [1, 2, 0, 3])]; // dw: [kh, kw, Cin, Cout]
  };
  return { value, gradFunc };
}) as (x: Tensor, filter: Tensor) => Tensor;

const validConvByStride = new Map<number, (x: Tensor, filter: Tensor) => Tensor>();
function validConv(x: Tensor, filter: Tensor, stride: number): Tensor {
  let f = validConvByStride.get(stride);
  if (!f) validConvByStride.set(stride, (f = makeValidConv(stride)));
  return f(x, filter);
}

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
    let y = validConv(xh, filter, stride); // [B, H', W', Cout]
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
