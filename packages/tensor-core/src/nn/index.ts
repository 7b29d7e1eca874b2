export { Linear, linear, isLinear, type LinearOptions } from './linear.js';
export { Embedding } from './embedding.js';
export { LayerNorm, RMSNorm, GroupNorm, layerNorm, rmsNorm, groupNorm } from './norms.js';
export { gelu, geluTanh, quickGelu, silu, activation, type ActivationName } from './activations.js';
export { Dropout, dropout } from './dropout.js';
export { Conv2d, conv2d, type Conv2dOptions, type Conv2dPadding } from './conv2d.js';
export { scaledDotProductAttention, attentionMask, repeatKv, MASK_VALUE, type AttentionOptions } from './attention.js';
export { rotaryCosSin, rotateHalf, applyRotary } from './rope.js';
export { crossEntropy, IGNORE_INDEX } from './cross_entropy.js';
