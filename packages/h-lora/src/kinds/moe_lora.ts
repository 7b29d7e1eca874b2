import { tf, kaimingUniform, type Tensor } from '@healthgpt/tensor-core';
import type { AdapterKind } from './kind.js';
import { resolveConfig } from './resolve.js';

const range = (k: number) => Array.from({ length: k }, (_, i) => i);

/**
 * Looped MoE-LoRA, the baseline H-LoRA beats: k separate rank-rₑ LoRA experts
 * (`lora_A.{i}.weight` [rₑ, in], `lora_B.{i}.weight` [out, rₑ]) run one after another and mixed by
 * a dense softmax router (`lora_route.weight` [k, in]):
 *
 *   y = W0x + b + Σᵢ gᵢ(x)·Bᵢ Aᵢ dropout(x)·s,   s = α/rₑ = α·k/R
 *
 * Given the same expert weights it computes exactly what H-LoRA does (with dropout off).
 */
export const moeLoraKind: AdapterKind = {
  name: 'moe-lora',
  mergeable: false,
  mergeRefusal: 'its expert gate softmax(x·routeᵀ) depends on the input, so no fixed ΔW exists',
  scalingRule: 'lora_alpha * lora_nums / r',
  resolve: (config) => resolveConfig('moe-lora', config, { routed: true }),
  scaling: (c) => (c.loraAlpha * c.loraNums) / c.r,
  init: (inF, outF, c, gen) => {
    const re = c.r / c.loraNums;
    const out = new Map<string, Tensor>();
    for (const i of range(c.loraNums)) out.set(`lora_A.${i}.weight`, kaimingUniform([re, inF], { gen }));
    for (const i of range(c.loraNums)) out.set(`lora_B.${i}.weight`, tf.zeros([outF, re]));
    out.set('lora_route.weight', kaimingUniform([c.loraNums, inF], { gen }));
    return out;
  },
  numParameters: (inF, outF, c) => c.r * (inF + outF) + c.loraNums * inF,
  gate: (x, p) => tf.tidy(() => tf.softmax(tf.matMul(x, p('lora_route.weight'), false, true))), // [N, k]
  delta: (x, p, ctx) =>
    tf.tidy(() => {
      const n = x.shape[0];
      const g = moeLoraKind.gate!(x, p, ctx).mul(ctx.scaling); // [N, k]: gate and scaling, applied on the narrow side
      const xd = ctx.dropout(x);
      const ys: Tensor[] = range(ctx.config.loraNums).map((i) => {
        const h = tf.matMul(xd, p(`lora_A.${i}.weight`), false, true).mul(g.slice([0, i], [n, 1])); // [N, rₑ]
        return tf.matMul(h, p(`lora_B.${i}.weight`), false, true); // [N, out]
      });
      return tf.addN(ys); // [N, out]
    }),
  experts: {
    split: (p, c) => ({
      A: range(c.loraNums).map((i) => p(`lora_A.${i}.weight`).clone()),
      B: range(c.loraNums).map((i) => p(`lora_B.${i}.weight`).clone()),
      route: p('lora_route.weight').clone(),
    }),
    join: (e) => {
      const out = new Map<string, Tensor>();
      e.A.forEach((a, i) => out.set(`lora_A.${i}.weight`, a.clone()));
      e.B.forEach((b, i) => out.set(`lora_B.${i}.weight`, b.clone()));
      out.set('lora_route.weight', e.route.clone());
      return out;
    },
  },
};
