/**
 * A custom adapter kind that transforms the output instead of adding to it: IA³ (Liu et al., 2022,
 * "Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than In-Context Learning"), with
 * peft's IA³ math. One learned vector per layer rescales activations:
 *
 *   y = (x·W0ᵀ + b) ⊙ l           l [out]   for most layers (keys, values: scale the output)
 *   y = (x ⊙ l)·W0ᵀ + b            l [in]    for feed-forward layers (scale the input)
 *
 * Which layers are feed-forward is the kind's own setting, `feedforwardModules` (module names, as
 * peft's `feedforward_modules`), typed per kind and saved in adapter_config.json. l starts at one,
 * so a fresh adapter changes nothing; merging scales W0's rows (and b) or columns.
 *
 * Import this file once (it registers the kind), then:
 *   injectAdapters(model, { targets: ['k_proj', 'v_proj', 'down_proj'], kind: 'ia3', config: { feedforwardModules: ['down_proj'] } });
 */
import { tf, linear } from '@healthgpt/tensor-core';
import { HLoraError, registerAdapterKind, resolveConfig, type AdapterKind } from '@healthgpt/h-lora';

/** IA³'s own settings. */
export interface Ia3Settings {
  /** Names of the layers whose input (not output) is scaled; matched like `targets` (`down_proj` ↔ `model.layers.0.mlp.down_proj`). */
  feedforwardModules: string[];
}

// Tell TypeScript that kind 'ia3' takes these settings: injectAdapters({ kind: 'ia3', config }) then checks them.
declare module '@healthgpt/h-lora' {
  interface AdapterKindSettings {
    ia3: Ia3Settings;
  }
}

const SCALE = 'ia3_l.weight';
const names = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0);
const isFeedforward = (modules: string[], path: string) => modules.some((m) => path === m || path.endsWith(`.${m}`));

export const ia3Kind: AdapterKind<Ia3Settings> = {
  name: 'ia3',
  // Both forms are a fixed rescaling of W0's rows (and b) or columns.
  mergeable: true,
  scalingRule: '1 (IA3 learns its scale)',
  resolve: (config) => {
    const { feedforwardModules = [] } = config;
    HLoraError.check(names(feedforwardModules), 'CONFIG', `'config.feedforwardModules' of adapter kind 'ia3' must be a list of module names`, { path: 'feedforwardModules' });
    // r and loraAlpha have no meaning for IA³; the shared checks still validate what was given.
    return { ...resolveConfig('ia3', config, { routed: false }), feedforwardModules: [...feedforwardModules] };
  },
  scaling: () => 1,
  init: (inF, outF, c, _gen, base) => new Map([[SCALE, isFeedforward(c.feedforwardModules, base.path) ? tf.ones([1, inF]) : tf.ones([outF, 1])]]),
  numParameters: (inF, outF, c, base) => (base && isFeedforward(c.feedforwardModules, base.path) ? inF : outF),
  // The layer's whole output from x [N, in] and the base output y0 [N, out].
  transform: (x, y0, p, { config, base }) =>
    tf.tidy(() =>
      isFeedforward(config.feedforwardModules, base.path)
        ? linear(x.mul(p(SCALE)), base.weight, base.bias) // l [1, in] scales each input feature
        : y0.mul(p(SCALE).reshape([1, -1])), // l [out, 1] scales each output, bias included
    ),
  merge: ({ weight, bias }, p, { config, base }) =>
    isFeedforward(config.feedforwardModules, base.path)
      ? { weight: tf.mul(weight, p(SCALE)) } // columns: W0 [out, in] ⊙ l [1, in]
      : { weight: tf.mul(weight, p(SCALE)), ...(bias ? { bias: tf.mul(bias, p(SCALE).reshape([-1])) } : {}) }, // rows: ⊙ l [out, 1]
  unmerge: ({ weight, bias }, p, { config, base }) =>
    isFeedforward(config.feedforwardModules, base.path)
      ? { weight: tf.div(weight, p(SCALE)) }
      : { weight: tf.div(weight, p(SCALE)), ...(bias ? { bias: tf.div(bias, p(SCALE).reshape([-1])) } : {}) },
  settings: {
    keys: ['feedforward_modules'],
    read: (json) => {
      const v = json.feedforward_modules ?? [];
      HLoraError.check(names(v), 'CONFIG', `'feedforward_modules' must be a list of module names, got ${JSON.stringify(v)}`, { path: 'feedforward_modules' });
      return { feedforwardModules: v };
    },
    write: (c) => ({ feedforward_modules: c.feedforwardModules }),
  },
  // peft keeps l as a bare parameter: saved as `<layer>.ia3_l`.
  checkpointName: (rel) => (rel === SCALE ? 'ia3_l' : rel),
};

registerAdapterKind(ia3Kind, { replace: true });
