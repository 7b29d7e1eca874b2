import { tf, type Tensor } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError, checkRank } from '../errors.js';
import { fusable, fusedLayerNorm, fusedRmsNorm } from './norms_fused.js';
import { inferenceFusable, rmsNormInference } from '../kernels/fused_step.js';

/**
 * (x − mean) · rsqrt(var_biased + eps) · w + b over the last axis. Float32 input with [D] weight
 * and bias runs the fused op of norms_fused.ts (same formula, hand-written gradient).
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  if (fusable(x, weight, bias)) return fusedLayerNorm(x, weight, bias, eps);
  return layerNormReference(x, weight, bias, eps);
}

/** The plain autodiff formula of `layerNorm` (the fused op's test reference). */
export function layerNormReference(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.mul(xc, xc), axis, true);
    let y = tf.mul(xc, tf.rsqrt(tf.add(variance, eps)));
    if (weight) y = tf.mul(y, weight);
    if (bias) y = tf.add(y, bias);
    return y;
  });
}

/**
 * w · x · rsqrt(mean(x², −1) + eps), in float32 (Phi-3 / Qwen2); fused like `layerNorm`, and one
 * kernel when no gradient is recorded (inference).
 */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  if (weight && fusable(x, weight) && inferenceFusable('HealthgptRmsNorm', x, weight)) return rmsNormInference(x, weight, eps);
  if (fusable(x, weight)) return fusedRmsNorm(x, weight, eps);
  return rmsNormReference(x, weight, eps);
}

/** The plain autodiff formula of `rmsNorm` (the fused op's test reference). */
export function rmsNormReference(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  return tf.tidy(() => {
    const ms = tf.mean(tf.mul(x, x), x.rank - 1, true);
    const y = tf.mul(x, tf.rsqrt(tf.add(ms, eps)));
    return weight ? tf.mul(y, weight) : y;
  });
}

/** GroupNorm over NCHW: statistics per group of C/groups channels × H × W, then a per-channel affine. */
export function groupNorm(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  checkRank(x.shape, 4, 'x', 'groupNorm');
  const [b, c, h, w] = x.shape;
  TensorCoreError.check(c % groups === 0, 'ARGUMENT', () => `'groups' passed to 'groupNorm' must divide the ${c} channels, got ${groups}`);
  return tf.tidy(() => {
    const xg = x.reshape([b, groups, (c / groups) * h * w]); // [B, G, C/G·H·W]
    const mean = tf.mean(xg, 2, true);
    const xc = tf.sub(xg, mean);
    const variance = tf.mean(tf.mul(xc, xc), 2, true);
    let y = tf.mul(xc, tf.rsqrt(tf.add(variance, eps))).reshape([b, c, h, w]);
    if (weight) y = tf.mul(y, weight.reshape([1, c, 1, 1]));
    if (bias) y = tf.add(y, bias.reshape([1, c, 1, 1]));
    return y;
  });
}

/** PyTorch's `nn.LayerNorm(dim)`: weight ones, bias zeros. */
export class LayerNorm extends Module {
  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
    { bias = true }: { bias?: boolean } = {},
  ) {
    super();
    this.registerParameter('weight', tf.ones([dim]));
    if (bias) this.registerParameter('bias', tf.zeros([dim]));
  }

  forward(x: Tensor): Tensor {
    const bias = this.namedParameters().find(([n]) => n === 'bias')?.[1] ?? null;
    return layerNorm(x, this.param('weight'), bias, this.eps);
  }
}

/** RMSNorm as in Phi-3 / Qwen2 / LLaMA: weight ones. */
export class RMSNorm extends Module {
  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
  ) {
    super();
    this.registerParameter('weight', tf.ones([dim]));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.param('weight'), this.eps);
  }
}

/** PyTorch's `nn.GroupNorm(groups, channels)` over NCHW. */
export class GroupNorm extends Module {
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly eps = 1e-5,
  ) {
    super();
    TensorCoreError.check(numChannels % numGroups === 0, 'ARGUMENT', `GroupNorm: ${numGroups} groups must divide ${numChannels} channels`);
    this.registerParameter('weight', tf.ones([numChannels]));
    this.registerParameter('bias', tf.zeros([numChannels]));
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.param('weight'), this.param('bias'), this.eps);
  }
}
