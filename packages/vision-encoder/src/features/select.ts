import { tf, type Tensor } from '@healthgpt/tensor-core';
import { VisionEncoderError } from '../errors.js';

export interface SelectFeaturesOptions {
  /** Drop token 0 (CLS), LLaVA's `select_feature = 'patch'` (default true); false keeps it (`'cls_patch'`). */
  dropCls?: boolean;
}

/** Resolve a Python-style layer index (−1 = last) into [0, count); throws on out-of-range. */
export function resolveLayer(layer: number, count: number, op = 'selectFeatures'): number {
  VisionEncoderError.check(Number.isInteger(layer) && layer >= -count && layer < count, 'ARGUMENT', () =>
    `'layer' passed to '${op}' must be an integer in [${-count}, ${count - 1}] for ${count} hidden states, got ${layer}`);
  return layer < 0 ? count + layer : layer;
}

/**
 * LLaVA `feature_select`: `hiddenStates[layer]` (Python indexing, so −2 is the second-to-last
 * layer's output) with the CLS token dropped. [B, N + 1, D] → [B, N, D] (or [B, N + 1, D] with
 * `dropCls: false`). Returns a new tensor the caller owns.
 */
export function selectFeatures(hiddenStates: readonly Tensor[], layer: number, { dropCls = true }: SelectFeaturesOptions = {}): Tensor {
  VisionEncoderError.check(hiddenStates.length > 0, 'ARGUMENT', `'hiddenStates' passed to 'selectFeatures' must not be empty`);
  const h = hiddenStates[resolveLayer(layer, hiddenStates.length)];
  VisionEncoderError.check(h.rank === 3, 'ARGUMENT', () => `'hiddenStates' passed to 'selectFeatures' must hold [B, T, D] tensors, got [${h.shape.join(', ')}]`);
  return dropCls ? tf.slice(h, [0, 1, 0], [-1, -1, -1]) : h.clone(); // [B, N, D]
}
