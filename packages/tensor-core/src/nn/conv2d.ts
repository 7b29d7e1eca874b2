import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError, checkRank } from '../errors.js';
import { validConv2d } from './conv2d_grad.js';
import { hasIm2Col, im2colConv2d } from './conv2d_im2col.js';
import { upsampleNearest2x } from './upsample.js';
import { Generator, biasUniform, kaimingUniform, getDefaultGenerator } from '../random.js';

/** Padding: one number for every side, `[ph, pw]`, or `[top, bottom, left, right]`. */
export type Conv2dPadding = number | [number, number] | [number, number, number, number];

function sides(p: Conv2dPadding): [number, number, number, number] {
  if (typeof p === 'number') return [p, p, p, p];
  return p.length === 2 ? [p[0], p[0], p[1], p[1]] : p;
}

function explicitPadding(p: Conv2dPadding): [[0, 0], [number, number], [number, number], [0, 0]] {
  if (typeof p === 'number') return [[0, 0], [p, p], [p, p], [0, 0]];
  if (p.length === 2) return [[0, 0], [p[0], p[0]], [p[1], p[1]], [0, 0]];
  return [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]];
}

/**
 * Cross-correlation over NCHW with a PyTorch weight `[out, in, kh, kw]`, trainable on every
 * backend. On cpu, and on wasm while the native BLAS runs its matmuls, it is Im2Col + one batched
 * matmul with the bias as an extra weight column, and gradients made of the same pieces
 * (`conv2d_im2col.ts`): no layout transposes, pads or slices. Elsewhere (wasm with XNNPACK alone
 * included), NHWC convolutions whose gradients are forward convolutions (`conv2d_grad.ts`). `upsample: 2` convolves the nearest-neighbour ×2 upsampling of
 * `x` (taming's `Upsample`), fused into the column gather on the Im2Col path.
 * x: [B, Cin, H, W] → [B, Cout, H', W']
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  { stride = 1, padding = 0, upsample = 1 }: { stride?: number | [number, number]; padding?: Conv2dPadding; upsample?: 1 | 2 } = {},
): Tensor {
  checkRank(x.shape, 4, 'x', 'conv2d');
  checkRank(weight.shape, 4, 'weight', 'conv2d');
  TensorCoreError.check(x.shape[1] === weight.shape[1], 'ARGUMENT', () => `'x' passed to 'conv2d' has ${x.shape[1]} channels, the weight expects ${weight.shape[1]}`);
  TensorCoreError.check(upsample === 1 || upsample === 2, 'ARGUMENT', () => `'upsample' passed to 'conv2d' must be 1 or 2, got ${upsample}`);
  const [sh, sw] = typeof stride === 'number' ? [stride, stride] : stride;
  return tf.tidy(() => {
    if (hasIm2Col()) {
      const [cout, cin, kh, kw] = weight.shape;
      let w2 = weight.reshape([cout, cin * kh * kw]);
      if (bias) w2 = tf.concat([w2, bias.reshape([cout, 1])], 1);
      return im2colConv2d(x, w2, { kh, kw, sh, sw, pad: sides(padding), up: upsample, ones: bias !== null });
    }
    let xNhwc = tf.transpose(upsample === 2 ? upsampleNearest2x(x) : x, [0, 2, 3, 1]) as tf.Tensor4D; // [B, H, W, Cin]
    const filter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D; // [kh, kw, Cin, Cout]
    const pad = explicitPadding(padding);
    // Pad, then a valid convolution whose gradients are forward convolutions.
    if (pad.some(([a, b]) => a || b)) xNhwc = tf.pad(xNhwc, pad);
    let y: Tensor;
    if (sh === sw) {
      y = validConv2d(xNhwc, filter, sh); // [B, H', W', Cout]
    } else {
      // Unequal strides: stride 1, then keep every sh-th row and sw-th column (tfjs 4.22's wasm
      // Conv2D returns zeros for strides such as [2, 1]).
      const full = validConv2d(xNhwc, filter, 1); // [B, Hf, Wf, Cout]
      y = tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [1, sh, sw, 1]);
    }
    if (bias) y = tf.add(y, bias);
    return tf.transpose(y, [0, 3, 1, 2]); // [B, Cout, H', W']
  });
}

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: Conv2dPadding;
  /** Convolve the nearest-neighbour ×2 upsampling of the input (taming's `Upsample`); default 1. */
  upsample?: 1 | 2;
  bias?: boolean;
  gen?: Generator;
  /** Draw the PyTorch initialisation (default); `false` fills zeros, for weights about to be loaded. */
  init?: boolean;
}

/** PyTorch's `nn.Conv2d` (groups = 1, dilation = 1). */
export class Conv2d extends Module {
  readonly stride: number | [number, number];
  readonly padding: Conv2dPadding;
  readonly upsample: 1 | 2;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number | [number, number],
    { stride = 1, padding = 0, upsample = 1, bias = true, gen = getDefaultGenerator(), init = true }: Conv2dOptions = {},
  ) {
    super();
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    this.stride = stride;
    this.padding = padding;
    this.upsample = upsample;
    const shape = [outChannels, inChannels, kh, kw];
    this.registerParameter('weight', init ? kaimingUniform(shape, { gen }) : tf.zeros(shape));
    if (bias) this.registerParameter('bias', init ? biasUniform([outChannels], inChannels * kh * kw, gen) : tf.zeros([outChannels]));
  }

  forward(x: Tensor): Tensor {
    const bias = this.namedParameters().find(([n]) => n === 'bias')?.[1] ?? null;
    return conv2d(x, this.param('weight'), bias, { stride: this.stride, padding: this.padding, upsample: this.upsample });
  }
}
