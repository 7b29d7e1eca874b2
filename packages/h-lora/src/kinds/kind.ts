import type { Tensor, Generator } from '@healthgpt/tensor-core';

/**
 * What a user passes to `injectAdapters` / `addAdapter` (peft's LoraConfig names, camelCased).
 * A kind may take settings of its own (`S`): they sit beside these fields and are typed per kind.
 */
export interface AdapterConfig {
  /** Rank (default 8, as in peft). For routed kinds this is the TOTAL rank R over all experts (HealthGPT's `r`). */
  r?: number;
  /** peft's `lora_alpha` (default 8); the kind turns it into a scaling factor. */
  loraAlpha?: number;
  /** Number of experts k (routed kinds only; must divide r). */
  loraNums?: number;
  /** Dropout probability (where it applies is up to the kind). Default 0. */
  loraDropout?: number;
  /** peft's `use_rslora`: scaling α/√r instead of α/r (kinds that support it: `lora`, `dora`). */
  useRslora?: boolean;
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
  useRslora: boolean;
}

/** Looks up one of the adapter's own tensors by its relative name (`lora_A.weight`, `lora_B.0.weight`). */
export type AdapterParams = (name: string) => Tensor;

/** The wrapped Linear layer as a kind sees it. Its tensors are live: read them, never dispose or assign them. */
export interface BaseLayer {
  /** The layer's dotted path in the model (`model.layers.0.self_attn.qkv_proj`), '' when unknown. */
  path: string;
  inFeatures: number;
  outFeatures: number;
  /** W0 [out, in]: the current base weight (adapters merged earlier included). */
  weight: Tensor;
  /** b [out], or null for a bias-free layer. */
  bias: Tensor | null;
}

/** Everything a kind's forward and merge functions need besides the input and the parameters. */
export interface DeltaContext<S extends object = object> {
  config: ResolvedAdapterConfig & S;
  /** The kind's scaling factor for this config. */
  scaling: number;
  /** The adapter's seeded dropout; returns its input unchanged when it does not drop (p = 0 or eval mode). */
  dropout: (t: Tensor) => Tensor;
  /** True when `dropout` changes values (p > 0 in training mode). */
  dropping: boolean;
  /** The base layer. */
  base: BaseLayer;
}

/** A routed adapter written as k explicit experts: Aᵢ [rₑ, in], Bᵢ [out, rₑ], the router [k, in]. */
export interface ExpertWeights {
  A: Tensor[];
  B: Tensor[];
  route: Tensor;
}

/** A base layer's weight and bias, as `merge` reads and writes them. */
export interface LayerWeights {
  /** [out, in] */
  weight: Tensor;
  /** [out], or null */
  bias: Tensor | null;
}

/** What `merge` returns: the merged weight (and bias, when the kind changes it), and what `unmerge` will need. */
export interface MergeResult {
  weight: Tensor;
  bias?: Tensor;
  /** Small tensors kept by the wrapper until the matching `unmerge` (e.g. DoRA's row norms), then disposed. */
  memo?: Tensor[];
}

/** A kind's own settings in adapter_config.json (beside peft's fields). */
export interface KindSettings<S extends object> {
  /** The adapter_config.json keys these settings occupy (snake_case, e.g. `feedforward_modules`). */
  readonly keys: readonly string[];
  /** The settings from adapter_config.json; throw `HLoraError` with `path` set to the key on a bad value. */
  read(json: Readonly<Record<string, unknown>>): Partial<S>;
  /** The adapter_config.json fields for a resolved config (may also set peft's own flags, e.g. `use_dora`). */
  write(config: ResolvedAdapterConfig & S): Record<string, unknown>;
}

/**
 * An adapter kind: a strategy object registered by name (`registerAdapterKind`). The wrapper
 * (`AdaptedLinear`) owns the parameters and calls these functions; a kind holds no state.
 *
 * Parameter names are relative and start with a slot (`lora_A.weight`, `lora_B.0.weight`): the
 * wrapper stores them as `<slot>.<adapter>.<rest>` (peft's in-memory names) and a checkpoint
 * stores them as `<slot>.<rest>` (or as `checkpointName` says).
 *
 * The forward is one of two forms: `delta` (the adapter adds to the base output, as LoRA does) or
 * `transform` (the adapter computes the layer's output from the input and the base output, as
 * DoRA and IA³ do). A mergeable kind gives `deltaWeight` (W ← W + ΔW) or `merge` / `unmerge`.
 */
export interface AdapterKind<S extends object = object> {
  readonly name: string;
  /** True when the adapted layer is again a plain Linear after folding the adapter in (merge). */
  readonly mergeable: boolean;
  /** For kinds that cannot merge: why (goes into the error message). */
  readonly mergeRefusal?: string;
  /** The scaling rule in peft's config names, written to adapter_config.json (`lora_alpha / r`); a function when it depends on the config. */
  readonly scalingRule: string | ((config: ResolvedAdapterConfig & S) => string);
  /** Check a config (throw `HLoraError` naming the field) and fill defaults, the kind's own settings included. */
  resolve(config: AdapterConfig & Partial<S>): ResolvedAdapterConfig & S;
  /** The factor s applied to the adapter's path. */
  scaling(config: ResolvedAdapterConfig & S): number;
  /** Fresh parameter values by relative name; the wrapper takes ownership. A fresh adapter must leave the layer's output unchanged. */
  init(inFeatures: number, outFeatures: number, config: ResolvedAdapterConfig & S, gen: Generator, base: BaseLayer): Map<string, Tensor>;
  /** Number of adapter parameters (the formula; the conformance checks compare it with what `init` makes). */
  numParameters(inFeatures: number, outFeatures: number, config: ResolvedAdapterConfig & S, base?: BaseLayer): number;
  /** The adapter's contribution, added to the base output: x [N, in] → [N, out]. */
  delta?(x: Tensor, p: AdapterParams, ctx: DeltaContext<S>): Tensor;
  /** The layer's output from x [N, in] and the base output y0 = x·W0ᵀ + b [N, out]: → [N, out]. Used instead of `delta` when given. */
  transform?(x: Tensor, y0: Tensor, p: AdapterParams, ctx: DeltaContext<S>): Tensor;
  /** ΔW [out, in] such that the merged layer computes x (W0 + ΔW)ᵀ + b (additive mergeable kinds). */
  deltaWeight?(p: AdapterParams, ctx: DeltaContext<S>): Tensor;
  /** The merged weight (and bias) from the current ones, for kinds whose merge is not W + ΔW. Needs `unmerge`. */
  merge?(current: LayerWeights, p: AdapterParams, ctx: DeltaContext<S>): MergeResult;
  /** Undo `merge`: the weight (and bias) before it, from the merged ones and `merge`'s memo. */
  unmerge?(merged: LayerWeights, p: AdapterParams, ctx: DeltaContext<S>, memo: Tensor[]): Omit<MergeResult, 'memo'>;
  /** Router probabilities [N, k] (routed kinds only). */
  gate?(x: Tensor, p: AdapterParams, ctx: DeltaContext<S>): Tensor;
  /** Convert to and from k explicit experts (routed kinds only). */
  experts?: {
    split(p: AdapterParams, config: ResolvedAdapterConfig & S): ExpertWeights;
    join(e: ExpertWeights, config: ResolvedAdapterConfig & S): Map<string, Tensor>;
  };
  /** The kind's own settings and their adapter_config.json form. */
  settings?: KindSettings<S>;
  /** The name a relative tensor name has in a checkpoint, when it is not the relative name itself (DoRA: `lora_magnitude_vector`). */
  checkpointName?(rel: string): string;
}
