import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError, checkRank } from '../errors.js';
import { validConv2d } from './conv2d_grad.js';
import { Generator, biasUniform, kaimingUniform, getDefaultGenerator } from '../random.js';

/** Padding: one number for every side, `[ph, pw]`, or `[top, bottom, left, right]`. */
export type Conv2dPadding = number | [number, number] | [number, number, number, number];

function explicitPadding(p: Conv2dPadding): [[0, 0], [number, number], [number, number], [0, 0]] {
  if (typeof p === 'number') return [[0, 0], [p, p], [p, p], [0, 0]];
  if (p.length === 2) return [[0, 0], [p[0], p[0]], [p[1], p[1]], [0, 0]];
  return [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]];
}

/**
 * Cross-correlation over NCHW with a PyTorch weight `[out, in, kh, kw]`, trainable on every
 * backend (square strides take gradients made of forward convolutions: `conv2d_grad.ts`).
 * x: [B, Cin, H, W] → [B, Cout, H', W']
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  { stride = 1, padding = 0 }: { stride?: number | [number, number]; padding?: Conv2dPadding } = {},
): Tensor {
  checkRank(x.shape, 4, 'x', 'conv2d');
  checkRank(weight.shape, 4, 'weight', 'conv2d');
  TensorCoreError.check(x.shape[1] === weight.shape[1], 'ARGUMENT', () => `'x' passed to 'conv2d' has ${x.shape[1]} channels, the weight expects ${weight.shape[1]}`);
  const [sh, sw] = typeof stride === 'number' ? [stride, stride] : stride;
  return tf.tidy(() => {
    let xNhwc = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D; // [B, H, W, Cin]
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
  bias?: boolean;
  gen?: Generator;
  /** Draw the PyTorch initialisation (default); `false` fills zeros, for weights about to be loaded. */
  init?: boolean;
}

/** PyTorch's `nn.Conv2d` (groups = 1, dilation = 1). */
export class Conv2d extends Module {
  readonly stride: number | [number, number];
  readonly padding: Conv2dPadding;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number | [number, number],
    { stride = 1, padding = 0, bias = true, gen = getDefaultGenerator(), init = true }: Conv2dOptions = {},
  ) {
    super();
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    this.stride = stride;
    this.padding = padding;
    const shape = [outChannels, inChannels, kh, kw];
    this.registerParameter('weight', init ? kaimingUniform(shape, { gen }) : tf.zeros(shape));
    if (bias) this.registerParameter('bias', init ? biasUniform([outChannels], inChannels * kh * kw, gen) : tf.zeros([outChannels]));
  }

  forward(x: Tensor): Tensor {
    const bias = this.namedParameters().find(([n]) => n === 'bias')?.[1] ?? null;
    return conv2d(x, this.param('weight'), bias, { stride: this.stride, padding: this.padding });
  }
}
