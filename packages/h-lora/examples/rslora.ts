/**
 * A custom adapter kind built on a shipped one: rank-stabilised LoRA (Kalajdzievski, 2023), plain
 * LoRA with scaling α/√r instead of α/r, so the update's size does not shrink as the rank grows.
 * (The built-in `lora` and `dora` kinds do the same with `useRslora: true`.) Only the name, the
 * config and the scaling differ from `loraKind`, so the parameters and the forward are its own
 * (`examples/ia3.ts` and the README show a kind written from scratch).
 *
 * Import this file once (it registers the kind), then:
 *   injectAdapters(model, { targets: ['q_proj', 'v_proj'], kind: 'rslora', config: { r: 16, loraAlpha: 16 } });
 */
import { loraKind, registerAdapterKind, resolveConfig, type AdapterKind } from '@healthgpt/h-lora';

export const rsLoraKind: AdapterKind = {
  // init, numParameters, delta (x·Aᵀ·s·Bᵀ) and deltaWeight (s·B·A, so it merges) are LoRA's.
  ...loraKind,
  name: 'rslora',
  scalingRule: 'lora_alpha / sqrt(r)',
  // The shared checks: r a positive integer, loraAlpha finite, loraDropout in [0, 1), no experts.
  // This kind always scales by α/√r, so its resolved config says so: adapter_config.json then
  // carries peft's own flag for the rule (use_rslora: true) and the folder loads in peft too.
  resolve: (config) => ({ ...resolveConfig('rslora', config, { routed: false, rslora: true }), useRslora: true }),
  scaling: (c) => c.loraAlpha / Math.sqrt(c.r),
};

registerAdapterKind(rsLoraKind, { replace: true });
