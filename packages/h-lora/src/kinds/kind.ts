import type { Tensor, Generator } from '@healthgpt/tensor-core';
import { HLoraError } from '../errors.js';

/** What a user passes to `injectAdapters` / `addAdapter` (peft's LoraConfig names, camelCased). */
export interface AdapterConfig {
  /** Rank. For routed kinds this is the TOTAL rank R over all experts (HealthGPT's `r`). */
  r: number;
  /** peft's `lora_alpha`; the kind turns it into a scaling factor. */
  loraAlpha: number;
  /** Number of experts k (routed kinds only; must divide r). */
  loraNums?: number;
  /** Dropout probability (where it applies is up to the kind). Default 0. */
  loraDropout?: number;
  /** Seed of the adapter's dropout mask stream (default: drawn from the init generator). */
  dropoutSeed?: number;
}

/** A config after the kind has checked it and filled the defaults. */
export interface ResolvedAdapterConfig {
  r: number;
  loraAlpha: number;
  /** 1 for kinds without experts. */
  loraNums: number;
  loraDropout: number;
}

/** Looks up one of the adapter's own tensors by its relative name (`lora_A.weight`, `lora_B.0.weight`). */
export type AdapterParams = (name: string) => Tensor;

/** Everything a kind's `delta` needs besides the input and the parameters. */
export interface DeltaContext {
  config: ResolvedAdapterConfig;
  /** The kind's scaling factor for this config. */
  scaling: number;
  /** The adapter's seeded dropout (identity in eval mode or with p = 0). */
  dropout: (t: Tensor) => Tensor;
}

/** A routed adapter written as k explicit experts: Aᵢ [rₑ, in], Bᵢ [out, rₑ], the router [k, in]. */
export interface ExpertWeights {
  A: Tensor[];
  B: Tensor[];
  route: Tensor;
}

/**
 * An adapter kind: a strategy object registered by name (`registerAdapterKind`). The wrapper
 * (`AdaptedLinear`) owns the parameters and calls these functions; a kind holds no state.
 *
 * Parameter names are relative and start with a slot (`lora_A.weight`, `lora_B.0.weight`): the
 * wrapper stores them as `<slot>.<adapter>.<rest>` (peft's in-memory names) and a checkpoint
 * stores them as `<slot>.<rest>`.
 */
export interface AdapterKind {
  readonly name: string;
  /** True when ΔW does not depend on the input, so the adapter can be merged into W0. */
  readonly mergeable: boolean;
  /** For kinds that cannot merge: why (goes into the error message). */
  readonly mergeRefusal?: string;
  /** The scaling rule in peft's config names, written to adapter_config.json (`lora_alpha / r`). */
  readonly scalingRule: string;
  /** Check a config (throw `HLoraError` naming the field) and fill defaults. */
  resolve(config: AdapterConfig): ResolvedAdapterConfig;
  /** The factor s applied to the low-rank path. */
  scaling(config: ResolvedAdapterConfig): number;
  /** Fresh parameter values by relative name; the wrapper takes ownership. */
  init(inFeatures: number, outFeatures: number, config: ResolvedAdapterConfig, gen: Generator): Map<string, Tensor>;
  /** Number of adapter parameters (the formula; tests compare it with what `init` makes). */
  numParameters(inFeatures: number, outFeatures: number, config: ResolvedAdapterConfig): number;
  /** The adapter's contribution to the output: x [N, in] → [N, out]. */
  delta(x: Tensor, p: AdapterParams, ctx: DeltaContext): Tensor;
  /** ΔW [out, in] such that the merged layer computes x (W0 + ΔW)ᵀ (mergeable kinds only). */
  deltaWeight?(p: AdapterParams, ctx: DeltaContext): Tensor;
  /** Router probabilities [N, k] (routed kinds only). */
  gate?(x: Tensor, p: AdapterParams, ctx: DeltaContext): Tensor;
  /** Convert to and from k explicit experts (routed kinds only). */
  experts?: {
    split(p: AdapterParams, config: ResolvedAdapterConfig): ExpertWeights;
    join(e: ExpertWeights, config: ResolvedAdapterConfig): Map<string, Tensor>;
  };
  /** Extra adapter_config.json fields (e.g. `lora_nums`, `use_rslora`). */
  configFields?(config: ResolvedAdapterConfig): Record<string, unknown>;
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * The shared config checks: `r` a positive integer, `loraAlpha` finite, `loraDropout` in [0, 1);
 * with `routed`, `loraNums` a positive integer dividing `r`, otherwise `loraNums` absent or 1.
 */
export function resolveConfig(kind: string, config: AdapterConfig, { routed }: { routed: boolean }): ResolvedAdapterConfig {
  const bad = (field: string, why: string, got: unknown) => new HLoraError('CONFIG', `'config.${field}' of adapter kind '${kind}' ${why}, got ${JSON.stringify(got)}`);
  if (config === null || typeof config !== 'object') throw new HLoraError('CONFIG', `'config' of adapter kind '${kind}' must be an object, got ${String(config)}`);
  const { r, loraAlpha, loraNums, loraDropout = 0 } = config;
  if (!isPosInt(r)) throw bad('r', 'must be a positive integer', r);
  if (typeof loraAlpha !== 'number' || !Number.isFinite(loraAlpha)) throw bad('loraAlpha', 'must be a finite number', loraAlpha);
  if (typeof loraDropout !== 'number' || !(loraDropout >= 0 && loraDropout < 1)) throw bad('loraDropout', 'must be in [0, 1)', loraDropout);
  if (routed) {
    if (!isPosInt(loraNums)) throw bad('loraNums', 'must be a positive integer (the number of experts)', loraNums);
    if (r % loraNums !== 0) throw bad('loraNums', `must divide r = ${r} (each expert gets rank r / loraNums)`, loraNums);
    return { r, loraAlpha, loraNums, loraDropout };
  }
  if (loraNums !== undefined && loraNums !== 1) throw bad('loraNums', 'must be absent or 1 (this kind has no experts)', loraNums);
  return { r, loraAlpha, loraNums: 1, loraDropout };
}
