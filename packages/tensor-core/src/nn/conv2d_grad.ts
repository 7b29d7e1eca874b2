import { tf, type Tensor } from '../tf.js';

/** Insert s−1 zero rows and columns between samples: [B, H, W, C] → [B, (H−1)s+1, (W−1)s+1, C] */
function dilate(x: Tensor, s: number): Tensor {
  if (s === 1) return x;
  const [b, h, w, c] = x.shape;
  const cols = tf.pad(x.reshape([b * h, w, 1, c]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]).reshape([b, h, 1, w * s * c]); // [B, H, 1, W·s·C]
  const rows = tf.pad(cols, [[0, 0], [0, 0], [0, s - 1], [0, 0]]).reshape([b, h * s, w * s, c]); // [B, H·s, W·s, C]
  return tf.slice(rows, [0, 0, 0, 0], [b, (h - 1) * s + 1, (w - 1) * s + 1, c]);
}

/**
 * An unpadded ('valid') NHWC convolution with square stride whose backward pass is made of forward
 * convolutions, which every backend runs fast (XNNPACK on wasm):
 * - dx convolves the dilated, edge-padded output gradient with the spatially flipped filter
 *   (channels swapped);
 * - dW correlates the input (batch and channels swapped) with the output gradient, as a
 *   convolution dilated by the stride.
 * On wasm this is 1.6–3.5x faster per training step than tfjs's backprop kernels.
 */
function makeValidConv(stride: number) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, filter, save] = args as [tf.Tensor4D, tf.Tensor4D, (ts: Tensor[]) => void];
    save([x, filter]);
    const value = tf.conv2d(x, filter, stride, 'valid'); // [B, H', W', Cout]
    const gradFunc = (dy: Tensor, saved: Tensor[]) => {
      const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
      const [kh, kw] = fs.shape;
      const [, hp, wp] = xs.shape;
      const [, ho, wo] = dy.shape;
      const restH = hp - ((ho - 1) * stride + kh); // trailing input rows no window reached
      const restW = wp - ((wo - 1) * stride + kw);
      const dyPadded = tf.pad(dilate(dy, stride), [[0, 0], [kh - 1, kh - 1 + restH], [kw - 1, kw - 1 + restW], [0, 0]]) as tf.Tensor4D;
      const flipped = tf.transpose(tf.reverse(fs, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, Cout, Cin]
      const dx = tf.conv2d(dyPadded, flipped, 1, 'valid'); // [B, Hp, Wp, Cin]
      const xT = tf.transpose(xs, [3, 1, 2, 0]) as tf.Tensor4D; // [Cin, Hp, Wp, B]
      const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [H', W', B, Cout]
      let dw = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', stride); // [Cin, ≥kh, ≥kw, Cout]
      if (dw.shape[1] !== kh || dw.shape[2] !== kw) dw = tf.slice(dw, [0, 0, 0, 0], [-1, kh, kw, -1]);
      return [dx, tf.transpose(dw, [1, 2, 0, 3])]; // dW: [kh, kw, Cin, Cout]
    };
    return { value, gradFunc };
  }) as (x: Tensor, filter: Tensor) => Tensor;
}

const byStride = new Map<number, (x: Tensor, filter: Tensor) => Tensor>();

/** Valid NHWC convolution with square `stride` and forward-convolution gradients. x: [B, Hp, Wp, Cin], filter: [kh, kw, Cin, Cout] */
export function validConv2d(x: Tensor, filter: Tensor, stride: number): Tensor {
  let f = byStride.get(stride);
  if (!f) byStride.set(stride, (f = makeValidConv(stride)));
  return f(x, filter);
}
