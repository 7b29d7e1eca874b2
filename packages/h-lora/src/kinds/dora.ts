import { tf, kaimingUniform, type Tensor } from '@healthgpt/tensor-core';
import type { AdapterKind } from './kind.js';
import { resolveConfig, loraScaling } from './resolve.js';

const MAGNITUDE = 'lora_magnitude_vector.weight';

/** ‖W + s·B·A‖ per output row: [out]. */
function rowNorm(w: Tensor, A: Tensor, B: Tensor, s: number): Tensor {
  return tf.tidy(() => tf.norm(w.add(tf.matMul(B, A).mul(s)), 'euclidean', 1)); // [out]
}

/**
 * The row norm as a constant of the backward pass: its value, no gradient into A, B or W. The DoRA
 * paper (§4.3) and peft detach ‖W0 + s·BA‖ so that it "won't receive any gradient".
 */
function detachedRowNorm(w: Tensor, A: Tensor, B: Tensor, s: number): Tensor {
  const op = tf.customGrad(((wi: Tensor, Ai: Tensor, Bi: Tensor) => ({
    value: rowNorm(wi, Ai, Bi, s),
    gradFunc: () => [tf.zerosLike(wi), tf.zerosLike(Ai), tf.zerosLike(Bi)],
  })) as Parameters<typeof tf.customGrad>[0]);
  return op(w, A, B) as Tensor;
}

/**
 * DoRA (Liu et al., 2024, weight-decomposed low-rank adaptation) with peft's `use_dora` semantics:
 * a LoRA pair A [r, in], B [out, r] and a magnitude m [out] (`lora_magnitude_vector`):
 *
 *   n  = ‖W0 + s·B·A‖ per output row, detached (no gradient flows through it)
 *   y  = y0 + (m/n − 1) ⊙ (x·W0ᵀ) + (m/n) ⊙ (x·Aᵀ·Bᵀ)·s        y0 = x·W0ᵀ + b
 *      = (m/n) ⊙ (x·(W0 + s·BA)ᵀ) + b                            (without dropout)
 *
 * With dropout active (training, p > 0) both x above are dropout(x), as in peft. s = α/r (α/√r
 * with `useRslora`). m starts at ‖W0‖ and B at zero, so a fresh adapter changes nothing. Merging
 * folds it into W0 ← (m/n)·(W0 + s·BA), keeping n to unmerge.
 */
export const doraKind: AdapterKind = {
  name: 'dora',
  mergeable: true,
  scalingRule: (c) => (c.useRslora ? 'lora_alpha / sqrt(r)' : 'lora_alpha / r'),
  resolve: (config) => resolveConfig('dora', config, { routed: false, rslora: true }),
  scaling: loraScaling,
  init: (inF, outF, c, gen, base) =>
    new Map([
      ['lora_A.weight', kaimingUniform([c.r, inF], { gen })], // [r, in]
      ['lora_B.weight', tf.zeros([outF, c.r])], // [out, r]
      [MAGNITUDE, tf.norm(base.weight, 'euclidean', 1)], // [out]: ‖W0 + s·B·A‖ with B = 0
    ]),
  numParameters: (inF, outF, c) => c.r * (inF + outF) + outF,
  transform: (x, y0, p, { scaling: s, dropout, dropping, base }) =>
    tf.tidy(() => {
      const n = detachedRowNorm(base.weight, p('lora_A.weight'), p('lora_B.weight'), s); // [out]
      const f = p(MAGNITUDE).div(n); // [out], broadcast over rows of [N, out]
      const xd = dropout(x); // [N, in]
      const lora = tf.matMul(tf.matMul(xd, p('lora_A.weight'), false, true), p('lora_B.weight'), false, true); // [N, out]
      // x·W0ᵀ: y0 without its bias, or recomputed from dropout(x) while dropout is active.
      const xw = dropping ? tf.matMul(xd, base.weight, false, true) : base.bias ? y0.sub(base.bias) : y0; // [N, out]
      return y0.add(f.sub(1).mul(xw)).add(f.mul(lora).mul(s));
    }),
  // Called inside the wrapper's tidy: intermediates are freed, the merged weight and the memo kept.
  merge: ({ weight }, p, { scaling: s }) => {
    const v = weight.add(tf.matMul(p('lora_B.weight'), p('lora_A.weight')).mul(s)); // W0 + s·B·A [out, in]
    const norm = tf.norm(v, 'euclidean', 1); // [out]
    return { weight: v.mul(p(MAGNITUDE).div(norm).expandDims(1)), memo: [norm] }; // (m/n)·(W0 + s·BA)
  },
  // W0 = W'·(n/m) − s·B·A, with the n kept by merge.
  unmerge: ({ weight }, p, { scaling: s }, [norm]) => ({
    weight: weight.mul(norm.div(p(MAGNITUDE)).expandDims(1)).sub(tf.matMul(p('lora_B.weight'), p('lora_A.weight')).mul(s)),
  }),
  settings: { keys: [], read: () => ({}), write: () => ({ use_dora: true }) },
  // peft saves the magnitude without '.weight' (it was a bare parameter before peft 0.11).
  checkpointName: (rel) => (rel === MAGNITUDE ? 'lora_magnitude_vector' : rel),
};
