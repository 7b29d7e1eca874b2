import { tf, kaimingUniform, type Tensor } from '@healthgpt/tensor-core';
import type { AdapterKind } from './kind.js';
import { resolveConfig } from './resolve.js';

/** s·E with E [k, R] the 0/1 map of expert i to its ranks [i·rₑ, (i+1)·rₑ): g·(s·E) = repeat_interleave(g, rₑ)·s. */
function expertMap(k: number, r: number, s: number): Tensor {
  const re = r / k;
  const e = new Float32Array(k * r);
  for (let i = 0; i < k; i++) e.fill(s, i * r + i * re, i * r + (i + 1) * re);
  return tf.tensor2d(e, [k, r]);
}

/**
 * HealthGPT's H-LoRA: k rank-rₑ experts fused into one A [R, in] and one B [out, R] (expert i owns
 * rows / columns [i·rₑ, (i+1)·rₑ)), a dense token-level softmax router [k, in], bias-free:
 *
 *   g = softmax(x routeᵀ)            [N, k]
 *   h = (x Aᵀ)·s, s = α·k/R          [N, R]
 *   y = W0x + b + (repeat_interleave(g, rₑ) ⊙ dropout(h)) Bᵀ
 *
 * which equals Σᵢ gᵢ·Bᵢ·Aᵢ·x·s with two matmuls instead of a loop. The gate depends on x, so
 * H-LoRA cannot be merged into W0.
 */
export const hloraKind: AdapterKind = {
  name: 'hlora',
  mergeable: false,
  mergeRefusal: 'its expert gate softmax(x·routeᵀ) depends on the input, so no fixed ΔW exists',
  scalingRule: 'lora_alpha * lora_nums / r',
  resolve: (config) => resolveConfig('hlora', config, { routed: true }),
  scaling: (c) => (c.loraAlpha * c.loraNums) / c.r,
  init: (inF, outF, c, gen) =>
    new Map([
      ['lora_A.weight', kaimingUniform([c.r, inF], { gen })],
      ['lora_B.weight', tf.zeros([outF, c.r])],
      ['lora_route.weight', kaimingUniform([c.loraNums, inF], { gen })],
    ]),
  numParameters: (inF, outF, c) => c.r * (inF + outF) + c.loraNums * inF,
  gate: (x, p) => tf.tidy(() => tf.softmax(tf.matMul(x, p('lora_route.weight'), false, true))), // [N, k]
  delta: (x, p, ctx) =>
    tf.tidy(() => {
      const { r, loraNums: k } = ctx.config;
      // One pass over x for A and the router: [A; route] is [R + k, in].
      const both = tf.matMul(x, tf.concat([p('lora_A.weight'), p('lora_route.weight')], 0), false, true); // [N, R + k]
      const [xa, logits] = tf.split(both, [r, k], 1); // [N, R], [N, k]
      // repeat_interleave(g, rₑ)·s as one small matmul with s·E, E [k, R] the 0/1 expert-to-rank map.
      const gs = tf.matMul(tf.softmax(logits), expertMap(k, r, ctx.scaling)); // [N, R]
      // dropout(x·Aᵀ)·s = dropout(x·Aᵀ·s): dropout scales elementwise, so s may ride with the gate.
      const gated = ctx.dropout(xa).mul(gs); // [N, R]
      return tf.matMul(gated, p('lora_B.weight'), false, true); // [N, out]
    }),
  experts: {
    split: (p, c) => {
      const re = c.r / c.loraNums;
      const A = p('lora_A.weight');
      const B = p('lora_B.weight');
      return {
        A: Array.from({ length: c.loraNums }, (_, i) => A.slice([i * re, 0], [re, -1])), // [rₑ, in]
        B: Array.from({ length: c.loraNums }, (_, i) => B.slice([0, i * re], [-1, re])), // [out, rₑ]
        route: p('lora_route.weight').clone(),
      };
    },
    join: (e) =>
      new Map([
        ['lora_A.weight', tf.concat(e.A, 0)], // [R, in]
        ['lora_B.weight', tf.concat(e.B, 1)], // [out, R]
        ['lora_route.weight', e.route.clone()],
      ]),
  },
};
