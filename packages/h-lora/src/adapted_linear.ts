import { tf, Module, Dropout, Generator, getDefaultGenerator, type Tensor, type Variable, type Linear } from '@healthgpt/tensor-core';
import { HLoraError, AdapterStateError } from './errors.js';
import { getAdapterKind } from './kinds/registry.js';
import type { AdapterConfig, AdapterKind, AdapterParams, BaseLayer, DeltaContext, MergeResult, ResolvedAdapterConfig } from './kinds/kind.js';
import { ParamTree } from './param_tree.js';

/** peft's `bias` setting: which base biases train and are saved with the adapter. */
export type BiasMode = 'none' | 'all' | 'lora_only';

/** One named adapter held by a layer. */
interface AdapterEntry {
  kind: AdapterKind;
  config: ResolvedAdapterConfig;
  /** Relative name (`lora_A.weight`) → the live variable. */
  params: Map<string, Variable>;
  scaling: number;
  dropout: Dropout;
  bias: BiasMode;
}

interface MergedEntry {
  name: string;
  memo: Tensor[];
}

export interface AddAdapterOptions {
  /** Generator for the initial values (default: the process-wide one). */
  gen?: Generator;
  /** peft's `bias` for this adapter (default `none`): `lora_only` trains and saves this layer's bias with it, `all` every bias of the model. */
  bias?: BiasMode;
}

const RESERVED = new Set(['weight', 'bias', 'base_layer', 'lora_dropout']);
const NAME_RE = /^[A-Za-z0-9_-]+$/;
const BIAS_MODES: readonly BiasMode[] = ['none', 'all', 'lora_only'];
const ADAPTED_BRAND = Symbol.for('@healthgpt/h-lora/AdaptedLinear');

/** `fn` inside `tf.tidy`: the tensors in its result (an object of tensors and tensor lists) are kept, the rest freed. */
function tidyResult<T extends object>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainerObject) as unknown as T;
}

/** `lora_A.weight` + adapter `gen` → `lora_A.gen.weight` (peft's in-memory name). */
export function insertAdapterName(rel: string, adapter: string): string {
  const dot = rel.indexOf('.');
  return `${rel.slice(0, dot)}.${adapter}.${rel.slice(dot + 1)}`;
}

/**
 * A Linear layer with any number of named adapters. The base layer stays intact and keeps its
 * checkpoint names (`weight` [out, in], `bias` [out]: its parameters are listed as this module's
 * own); adapter `a` of a kind with a tensor `lora_A.weight` is stored as `lora_A.a.weight`. One
 * adapter is active at a time; `forward(x)` is Linear's and runs the base layer's own forward
 * (so a subclass's fast path is kept).
 */
export class AdaptedLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The layer's dotted path, for error messages and `BaseLayer.path` (set by `injectAdapters`). */
  label: string;
  private readonly adapters = new Map<string, AdapterEntry>();
  private active: string | null = null;
  private disabledFlag = false;
  private readonly mergedStack: MergedEntry[] = [];

  /** Wrap `base` (its weight and bias stay its own variables; merging writes into them). */
  constructor(base: Linear, label = '') {
    super();
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.label = label;
    // A child, so train/eval and dispose reach it; its parameters are listed as this module's own.
    this.registerModule('base_layer', base);
    this.registerModule('lora_dropout', new ParamTree());
    this.training = base.training;
  }

  /** The wrapped Linear. */
  get base(): Linear {
    return this.child<Linear>('base_layer');
  }

  get weight(): Variable {
    return this.base.weight;
  }

  get bias(): Variable | null {
    return this.base.bias;
  }

  /** The base's parameters under their checkpoint names (`weight`, `bias`) first, then every adapter tensor. */
  override namedParameters(prefix = ''): [string, Variable][] {
    const hidden = prefix ? `${prefix}.base_layer.` : 'base_layer.';
    return [...this.base.namedParameters(prefix), ...super.namedParameters(prefix).filter(([n]) => !n.startsWith(hidden))];
  }

  override param(name: string): Variable {
    return name === 'weight' || name === 'bias' ? this.base.param(name) : super.param(name);
  }

  private where(): string {
    return this.label ? `layer '${this.label}'` : 'AdaptedLinear';
  }

  /**
   * The base layer as kinds see it. `weight` and `bias` are read when a kind asks for them, so a
   * base without a float weight (e.g. an int8 layer) still runs kinds that never read W0.
   */
  baseLayer(): BaseLayer {
    const self = this;
    return {
      path: this.label,
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      get weight() {
        return self.weight;
      },
      get bias() {
        return self.bias;
      },
    };
  }

  /** Add adapter `name` of `kind` (a registered name or a kind object); the first one added becomes active. */
  addAdapter<S extends object = object>(name: string, kind: string | AdapterKind<S>, config: AdapterConfig & Partial<S>, { gen = getDefaultGenerator(), bias = 'none' }: AddAdapterOptions = {}): this {
    HLoraError.check(typeof name === 'string' && NAME_RE.test(name), 'ARGUMENT', () => `'name' passed to 'addAdapter' must be letters, digits, '_' or '-', got ${JSON.stringify(name)}`);
    HLoraError.check(!this.adapters.has(name), 'ARGUMENT', () => `${this.where()} already has an adapter '${name}'`);
    HLoraError.check(BIAS_MODES.includes(bias), 'ARGUMENT', () => `'bias' passed to 'addAdapter' must be one of ${BIAS_MODES.join(', ')}, got ${JSON.stringify(bias)}`);
    const k = (typeof kind === 'string' ? getAdapterKind(kind) : kind) as AdapterKind;
    const cfg = k.resolve(config);
    // Whatever the kind makes on the way is freed; only the returned tensors are kept.
    const values = new Map(tf.tidy(() => [...k.init(this.inFeatures, this.outFeatures, cfg, gen, this.baseLayer())]) as [string, Tensor][]);
    const bad = [...values.keys()].find((rel) => !rel.includes('.') || RESERVED.has(rel.split('.')[0]) || !/^[A-Za-z0-9_.-]+$/.test(rel));
    if (bad !== undefined) {
      values.forEach((t) => t.dispose());
      throw new HLoraError('ARGUMENT', `adapter kind '${k.name}' made a tensor named '${bad}': names must be '<slot>.<rest>' and the slot not one of ${[...RESERVED].join(', ')}`);
    }
    const params = new Map<string, Variable>();
    for (const [rel, t] of values) {
      const slot = rel.split('.')[0];
      params.set(rel, this.slot(slot).set(`${name}.${rel.slice(slot.length + 1)}`, t));
    }
    const dropout = this.child<ParamTree>('lora_dropout').add(name, new Dropout(cfg.loraDropout, { seed: config.dropoutSeed ?? gen.nextSeed() }));
    dropout.training = this.training;
    this.adapters.set(name, { kind: k, config: cfg, params, scaling: k.scaling(cfg), dropout, bias });
    if (this.active === null) this.active = name;
    return this;
  }

  private slot(name: string): ParamTree {
    if (!this.namedChildren().some(([n]) => n === name)) this.registerModule(name, new ParamTree());
    return this.child<ParamTree>(name);
  }

  private entry(name: string, op: string): AdapterEntry {
    const e = this.adapters.get(name);
    HLoraError.check(e, 'UNKNOWN_ADAPTER', () => `'${op}': ${this.where()} has no adapter '${name}' (has: ${[...this.adapters.keys()].join(', ') || 'none'})`);
    return e;
  }

  private lookup(e: AdapterEntry, name: string): AdapterParams {
    return (rel) => {
      const v = e.params.get(rel);
      HLoraError.check(v, 'ARGUMENT', () => `adapter '${name}' (kind '${e.kind.name}') of ${this.where()} has no tensor '${rel}'`);
      return v;
    };
  }

  /** What the kind's functions get for adapter entry `e`, now (train/eval mode, current base weight). */
  private context(e: AdapterEntry): DeltaContext {
    // With p = 0 or in eval mode dropout is the identity (no copy).
    const dropping = e.config.loraDropout > 0 && e.dropout.training;
    return { config: e.config, scaling: e.scaling, dropout: dropping ? (t) => e.dropout.forward(t) : (t) => t, dropping, base: this.baseLayer() };
  }

  /** Remove adapter `name` and dispose its tensors (refused while it is merged); another becomes active. */
  deleteAdapter(name: string): void {
    const e = this.entry(name, 'deleteAdapter');
    HLoraError.check(!this.isMerged(name), 'MERGE_STATE', () => `cannot delete adapter '${name}' of ${this.where()} while it is merged; unmerge first`);
    const slots = new Set([...e.params.keys()].map((rel) => rel.split('.')[0]));
    for (const slot of slots) this.deleteSubmodule(`${slot}.${name}`).dispose();
    this.deleteSubmodule(`lora_dropout.${name}`).dispose();
    this.adapters.delete(name);
    if (this.active === name) this.active = this.adapters.keys().next().value ?? null;
  }

  adapterNames(): string[] {
    return [...this.adapters.keys()];
  }

  /** The kind, resolved config and bias setting of adapter `name`. */
  adapterInfo(name: string): { kind: AdapterKind; config: ResolvedAdapterConfig; bias: BiasMode } {
    const e = this.entry(name, 'adapterInfo');
    return { kind: e.kind, config: e.config, bias: e.bias };
  }

  get activeAdapter(): string | null {
    return this.active;
  }

  /** Make adapter `name` the one `forward` runs. */
  setActive(name: string): this {
    this.entry(name, 'setActive');
    this.active = name;
    return this;
  }

  /** Bypass every adapter: `forward` gives exactly the base output (merged adapters are unmerged first). */
  disable(): this {
    this.unmergeAll();
    this.disabledFlag = true;
    return this;
  }

  enable(): this {
    this.disabledFlag = false;
    return this;
  }

  get enabled(): boolean {
    return !this.disabledFlag;
  }

  /** Adapters merged into `weight`, oldest first. */
  mergedAdapters(): string[] {
    return this.mergedStack.map((m) => m.name);
  }

  private isMerged(name: string): boolean {
    return this.mergedStack.some((m) => m.name === name);
  }

  /**
   * Fold adapter `name` (default: the active one) into the base layer: W ← W + ΔW for additive
   * kinds, the kind's own `merge` otherwise (DoRA rescales rows, IA³ may scale the bias too). With
   * `safe` (default) the result is checked for NaN/Inf first and the layer is left untouched if any
   * appear. Kinds whose output depends on the input in a way no weight can hold refuse with an
   * `HLoraError` `NOT_MERGEABLE` saying why.
   */
  merge(name: string | null = this.active, { safe = true }: { safe?: boolean } = {}): this {
    HLoraError.check(name !== null, 'UNKNOWN_ADAPTER', () => `'merge': ${this.where()} has no adapter to merge`);
    const e = this.entry(name, 'merge');
    HLoraError.check(
      e.kind.mergeable,
      'NOT_MERGEABLE',
      () => `cannot merge adapter '${name}' of ${this.where()} (kind '${e.kind.name}') into the base weight: ${e.kind.mergeRefusal ?? 'the kind is not mergeable'}`,
    );
    HLoraError.check(!this.isMerged(name), 'MERGE_STATE', () => `adapter '${name}' of ${this.where()} is already merged`);
    const p = this.lookup(e, name);
    const ctx = this.context(e);
    const { weight, bias = null, memo = [] } = tidyResult(
      (): MergeResult => (e.kind.deltaWeight ? { weight: this.weight.add(e.kind.deltaWeight(p, ctx)) } : e.kind.merge!({ weight: this.weight, bias: this.bias }, p, ctx)),
    );
    const made = [weight, ...(bias ? [bias] : [])];
    const finite = safe ? tf.tidy(() => tf.all(tf.stack(made.map((t) => tf.all(tf.isFinite(t)))))) : null;
    const ok = finite === null || finite.dataSync()[0] === 1;
    finite?.dispose();
    if (!ok) {
      tf.dispose([...made, ...memo]);
      throw new HLoraError('NON_FINITE', `safe merge of adapter '${name}' into ${this.where()} produced non-finite values; the base layer is unchanged`);
    }
    this.write(weight, bias);
    this.mergedStack.push({ name, memo });
    return this;
  }

  /** Assign (and dispose) a new weight and, when given, a new bias. */
  private write(weight: Tensor, bias: Tensor | null | undefined): void {
    this.weight.assign(weight);
    weight.dispose();
    if (bias) {
      this.bias?.assign(bias);
      bias.dispose();
    }
  }

  /** Dispose every parameter below (the base layer's too while it is attached) and what merges kept for unmerging. */
  override dispose(): void {
    for (const m of this.mergedStack) tf.dispose(m.memo);
    this.mergedStack.length = 0;
    super.dispose();
  }

  /** Undo the most recent merge; returns its name, or null when nothing is merged. */
  unmerge(): string | null {
    const top = this.mergedStack.pop();
    if (top === undefined) return null;
    const e = this.entry(top.name, 'unmerge');
    const p = this.lookup(e, top.name);
    const ctx = this.context(e);
    const { weight, bias } = tidyResult(
      (): Omit<MergeResult, 'memo'> => (e.kind.deltaWeight ? { weight: this.weight.sub(e.kind.deltaWeight(p, ctx)) } : e.kind.unmerge!({ weight: this.weight, bias: this.bias }, p, ctx, top.memo)),
    );
    this.write(weight, bias);
    tf.dispose(top.memo);
    return top.name;
  }

  unmergeAll(): this {
    while (this.unmerge() !== null);
    return this;
  }

  /** The adapter that `forward` runs on top of the base, if any. */
  private running(): [string, AdapterEntry] | null {
    if (this.disabledFlag || this.active === null || this.isMerged(this.active)) return null;
    return [this.active, this.adapters.get(this.active)!];
  }

  private flat(x: Tensor, op: string): Tensor {
    const inF = this.inFeatures;
    HLoraError.check(x.shape[x.shape.length - 1] === inF, 'ARGUMENT', () => `'x' passed to '${op}' of ${this.where()} must end in ${inF}, got [${x.shape.join(', ')}]`);
    return x.reshape([-1, inF]); // [N, in]
  }

  /** x: [..., in] → [..., out]: the base with the active adapter applied (unless disabled or merged). */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const x2 = this.flat(x, 'forward'); // [N, in]
      let y = this.base.forward(x2); // [N, out]
      const run = this.running();
      if (run) {
        const [name, e] = run;
        const p = this.lookup(e, name);
        const ctx = this.context(e);
        y = e.kind.transform ? e.kind.transform(x2, y, p, ctx) : y.add(e.kind.delta!(x2, p, ctx));
      }
      return y.reshape([...x.shape.slice(0, -1), this.outFeatures]); // [..., out]
    });
  }

  /** Router probabilities of a routed adapter (default: the active one): x [..., in] → [..., k]. */
  routerProbs(x: Tensor, name: string | null = this.active): Tensor {
    HLoraError.check(name !== null, 'UNKNOWN_ADAPTER', () => `'routerProbs': ${this.where()} has no adapter`);
    const e = this.entry(name, 'routerProbs');
    HLoraError.check(e.kind.gate, 'ARGUMENT', () => `'routerProbs': adapter '${name}' (kind '${e.kind.name}') of ${this.where()} has no router`);
    return tf.tidy(() => {
      const p = e.kind.gate!(this.flat(x, 'routerProbs'), this.lookup(e, name), this.context(e)); // [N, k]
      return p.reshape([...x.shape.slice(0, -1), e.config.loraNums]); // [..., k]
    });
  }

  /** Parameter names of adapter `name` relative to this layer (`lora_A.<name>.weight`, …). */
  adapterParameterNames(name: string): string[] {
    return [...this.entry(name, 'adapterParameterNames').params.keys()].map((rel) => insertAdapterName(rel, name));
  }

  /** Adapter `name`'s live variables by relative name, the adapter name stripped (`lora_A.weight`). */
  adapterState(name: string): Map<string, Variable> {
    return new Map(this.entry(name, 'adapterState').params);
  }

  /**
   * Copy `tensors` (keys `lora_A.weight`, … as `adapterState` gives them) into adapter `name`.
   * Shape mismatches always throw; with `strict` (default) missing and unexpected keys too.
   */
  loadAdapterState(name: string, tensors: Map<string, Tensor>, { strict = true }: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const e = this.entry(name, 'loadAdapterState');
    HLoraError.check(!this.isMerged(name), 'MERGE_STATE', () => `cannot load adapter '${name}' of ${this.where()} while it is merged; unmerge first`);
    const missing = [...e.params.keys()].filter((k) => !tensors.has(k));
    const unexpected = [...tensors.keys()].filter((k) => !e.params.has(k));
    const mismatched = [...tensors]
      .filter(([k, t]) => e.params.has(k) && e.params.get(k)!.shape.join() !== t.shape.join())
      .map(([k, t]) => ({ key: k, expected: e.params.get(k)!.shape, actual: t.shape }));
    if (mismatched.length || (strict && (missing.length || unexpected.length)))
      throw new AdapterStateError(strict ? missing : [], strict ? unexpected : [], mismatched, `loading adapter '${name}' into ${this.where()}`);
    for (const [k, t] of tensors) {
      const v = e.params.get(k);
      // Assigning a variable its own storage (a state dict loaded back into itself) would free it.
      if (v && v.dataId !== t.dataId) tf.tidy(() => v.assign(t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
    }
    return { missing, unexpected };
  }
}
Object.defineProperty(AdaptedLinear.prototype, ADAPTED_BRAND, { value: true });

/** True when `x` is an `AdaptedLinear` from any copy of this package (its ESM or CommonJS build). */
export function isAdaptedLinear(x: unknown): x is AdaptedLinear {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[ADAPTED_BRAND] === true;
}
