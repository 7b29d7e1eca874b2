import { tf, kaimingUniform } from '@healthgpt/tensor-core';
import { routedMix } from '@healthgpt/tensor-core/internal';
import type { AdapterKind } from './kind.js';
import { resolveConfig } from './resolve.js';

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
      // One pass over x for A and the router: u = x·[A; route]ᵀ [N, R + k].
      const u = tf.matMul(x, tf.concat([p('lora_A.weight'), p('lora_route.weight')], 0), false, true);
      // x·Aᵀ ⊙ repeat_interleave(softmax(logits), rₑ)·s in one fused pass forward and backward (no
      // split, concat or per-expert op). dropout(x·Aᵀ)·g·s = dropout(x·Aᵀ·g·s): dropout scales
      // elementwise, so the same mask may follow the gate.
      const gated = ctx.dropout(routedMix(u, r, k, ctx.scaling)); // [N, R]
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
