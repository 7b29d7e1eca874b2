/**
 * A custom adapter kind in one file: rank-stabilised LoRA (Kalajdzievski, 2023), plain LoRA with
 * scaling α/√r instead of α/r, so the update's size does not shrink as the rank grows. (The
 * built-in `lora` and `dora` kinds do the same with `useRslora: true`; this file shows the
 * smallest complete kind.)
 *
 * Import this file once (it registers the kind), then:
 *   injectAdapters(model, { targets: ['q_proj', 'v_proj'], kind: 'rslora', config: { r: 16, loraAlpha: 16 } });
 */
import { tf, kaimingUniform } from '@healthgpt/tensor-core';
import { registerAdapterKind, resolveConfig, type AdapterKind } from '@healthgpt/h-lora';

export const rsLoraKind: AdapterKind = {
  name: 'rslora',
  // ΔW = s·B·A does not depend on the input, so the wrapper may merge it into W0.
  mergeable: true,
  scalingRule: 'lora_alpha / sqrt(r)',
  // The shared checks: r a positive integer, loraAlpha finite, loraDropout in [0, 1), no experts.
  // This kind always scales by α/√r, so its resolved config says so: adapter_config.json then
  // carries peft's own flag for the rule (use_rslora: true) and the folder loads in peft too.
  resolve: (config) => ({ ...resolveConfig('rslora', config, { routed: false, rslora: true }), useRslora: true }),
  scaling: (c) => c.loraAlpha / Math.sqrt(c.r),
  // Relative names '<slot>.<rest>': stored as lora_A.<adapter>.weight, saved as lora_A.weight.
  init: (inF, outF, c, gen) =>
    new Map([
      ['lora_A.weight', kaimingUniform([c.r, inF], { gen })], // [r, in]
      ['lora_B.weight', tf.zeros([outF, c.r])], // [out, r]: a fresh adapter changes nothing
    ]),
  numParameters: (inF, outF, c) => c.r * (inF + outF),
  // x [N, in] → [N, out], added to the base output; called inside the wrapper's tidy.
  delta: (x, p, { scaling, dropout }) =>
    tf.tidy(() => {
      const h = tf.matMul(dropout(x), p('lora_A.weight'), false, true).mul(scaling); // [N, r]: scale the narrow side
      return tf.matMul(h, p('lora_B.weight'), false, true); // [N, out]
    }),
  deltaWeight: (p, { scaling }) => tf.tidy(() => tf.matMul(p('lora_B.weight'), p('lora_A.weight')).mul(scaling)), // [out, in]
};

registerAdapterKind(rsLoraKind, { replace: true });
