import { tf, type Module, type Tensor, type Variable } from '@healthgpt/tensor-core';
import { HLoraError, AdapterStateError } from './errors.js';
import { adaptedLayers, biasParameters } from './inject.js';
import type { AdaptedLinear } from './adapted_linear.js';

/** The prefix peft puts before module paths in saved adapters (PeftModel → LoraModel → model). */
export const PEFT_PREFIX = 'base_model.model.';

/** Where a saved key goes: an adapter tensor of a layer, or a base bias (peft's `bias` setting). */
type Slot = { layer: AdaptedLinear; rel: string; shape: number[] } | { bias: Variable; shape: number[]; optional: boolean };

export function holders(root: Module, name: string, op: string): [string, AdaptedLinear][] {
  const layers = adaptedLayers(root).filter(([, l]) => l.adapterNames().includes(name));
  HLoraError.check(layers.length > 0, 'UNKNOWN_ADAPTER', `'${op}': no layer holds an adapter '${name}'`);
  return layers;
}

const joinPath = (prefix: string, path: string, rest: string) => `${prefix}${path ? `${path}.` : ''}${rest}`;

/**
 * Every saved key of adapter `name` and where it goes, plus aliases (other names peft accepts for
 * the same tensor: `lora_magnitude_vector.weight` for DoRA's `lora_magnitude_vector`, a legacy
 * `<layer>.bias` for `<layer>.base_layer.bias`).
 */
function slots(root: Module, name: string, prefix: string, op: string): { want: Map<string, Slot>; alias: Map<string, string> } {
  const want = new Map<string, Slot>();
  const alias = new Map<string, string>();
  for (const [path, layer] of holders(root, name, op)) {
    const { kind } = layer.adapterInfo(name);
    for (const [rel, v] of layer.adapterState(name)) {
      const key = joinPath(prefix, path, kind.checkpointName?.(rel) ?? rel);
      want.set(key, { layer, rel, shape: v.shape });
      if (key !== joinPath(prefix, path, rel)) alias.set(joinPath(prefix, path, rel), key);
    }
  }
  for (const [key, { layer, path }] of biasParameters(root, name)) {
    const bias = layer ? layer.bias! : root.namedParameters().find(([n]) => n === key)![1];
    // peft wraps an adapted layer, so its bias is saved as <layer>.base_layer.bias.
    const saved = layer ? joinPath(prefix, path, 'base_layer.bias') : `${prefix}${key}`;
    // bias 'lora_only' adapters saved by peft before its fix carry no biases: the base ones then apply.
    want.set(saved, { bias, shape: bias.shape, optional: layer !== null && layer.adapterInfo(name).bias === 'lora_only' });
    if (layer) alias.set(`${prefix}${key}`, saved);
  }
  return { want, alias };
}

/**
 * Adapter `name`'s tensors under their saved names, the adapter name stripped:
 * `base_model.model.<path>.lora_A.weight` (and the biases its peft `bias` setting saves). The
 * tensors are the live variables (do not dispose).
 */
export function adapterStateDict(root: Module, name: string, { prefix = PEFT_PREFIX }: { prefix?: string } = {}): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, s] of slots(root, name, prefix, 'adapterStateDict').want) out.set(key, 'bias' in s ? s.bias : s.layer.adapterState(name).get(s.rel)!);
  return out;
}

export interface LoadAdapterStateOptions {
  prefix?: string;
  /** Throw an `AdapterStateError` listing missing and unexpected keys (default true). Shape mismatches always throw. */
  strict?: boolean;
  /** Keys that may be present without being adapter tensors (exact names or patterns). */
  ignore?: (string | RegExp)[];
}

/**
 * Copy saved-name tensors (as `adapterStateDict` names them) into adapter `name` (and the base
 * biases its `bias` setting saves); returns what matched and what did not. Nothing is written
 * unless every key checks out.
 */
export function loadAdapterStateDict(
  root: Module,
  name: string,
  tensors: Map<string, Tensor>,
  { prefix = PEFT_PREFIX, strict = true, ignore = [] }: LoadAdapterStateOptions = {},
): { loaded: string[]; missing: string[]; unexpected: string[] } {
  const { want, alias } = slots(root, name, prefix, 'loadAdapterStateDict');
  const ignored = (k: string) => ignore.some((p) => (typeof p === 'string' ? p === k : p.test(k)));
  const given = new Map<string, [string, Tensor]>(); // wanted key → [file key, tensor]
  const unexpected: string[] = [];
  for (const [k, t] of tensors) {
    const target = want.has(k) ? k : alias.get(k);
    if (target !== undefined && !given.has(target)) given.set(target, [k, t]);
    else if (!ignored(k)) unexpected.push(k);
  }
  const missing = [...want].filter(([k, s]) => !given.has(k) && !('bias' in s && s.optional)).map(([k]) => k);
  const mismatched = [...given]
    .filter(([k, [, t]]) => want.get(k)!.shape.join() !== t.shape.join())
    .map(([k, [fileKey, t]]) => ({ key: fileKey, expected: want.get(k)!.shape, actual: t.shape }));
  if (mismatched.length || (strict && (missing.length || unexpected.length)))
    throw new AdapterStateError(strict ? missing : [], strict ? unexpected : [], mismatched, `loading adapter '${name}'`);
  const perLayer = new Map<AdaptedLinear, Map<string, Tensor>>();
  const biases: [Variable, Tensor][] = [];
  for (const [k, [, t]] of given) {
    const s = want.get(k)!;
    if ('bias' in s) biases.push([s.bias, t]);
    else {
      if (!perLayer.has(s.layer)) perLayer.set(s.layer, new Map());
      perLayer.get(s.layer)!.set(s.rel, t);
    }
  }
  for (const [layer, m] of perLayer) layer.loadAdapterState(name, m, { strict: false });
  for (const [v, t] of biases) if (v.dataId !== t.dataId) tf.tidy(() => v.assign(t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
  return { loaded: [...given.values()].map(([k]) => k), missing, unexpected };
}
