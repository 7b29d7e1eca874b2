import { tf, type Tensor, type Variable } from './tf.js';
import { TensorCoreError, StateDictError } from './errors.js';

export type TensorMap = Map<string, Tensor> | Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** Throw a `StateDictError` listing missing and unexpected keys (default true). Shape mismatches always throw. */
  strict?: boolean;
  /** Keys of `tensors` that may be present without a matching parameter (exact names or patterns). */
  ignore?: (string | RegExp)[];
}

export interface LoadStateDictResult {
  missing: string[];
  unexpected: string[];
}

/** Where a dotted path leads: the module that owns the last segment, and that segment. */
interface Slot {
  owner: Module;
  name: string;
}

/**
 * The base of every layer and model: named parameters, named submodules, train/eval mode.
 *
 * Names are checkpoint names: a module registered as `self_attn` inside one registered as
 * `layers.0` gives parameters such as `layers.0.self_attn.qkv_proj.weight`. A submodule can be
 * fetched and replaced by its dotted path, which is how adapters wrap layers.
 */
export class Module {
  /** True in training mode (dropout active), false in eval mode. */
  training = true;
  private readonly params = new Map<string, Variable>();
  private readonly children = new Map<string, Module>();
  private readonly buffers = new Map<string, Tensor>();

  /**
   * Register `value` as a parameter named `name`; the module takes ownership of the tensor
   * (it is wrapped in a variable and the original is disposed).
   */
  protected registerParameter(name: string, value: Tensor, { trainable = true } = {}): Variable {
    TensorCoreError.check(!name.includes('.'), 'ARGUMENT', `parameter name '${name}' must not contain '.'`);
    TensorCoreError.check(value.dtype === 'float32', 'ARGUMENT', () => `parameter '${name}' must be float32, got ${value.dtype}`);
    const old = this.params.get(name);
    old?.dispose();
    const v = tf.variable(value, trainable);
    value.dispose();
    this.params.set(name, v);
    return v;
  }

  /** Register a non-parameter tensor (not saved, not trained), owned and disposed by the module. */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    this.buffers.get(name)?.dispose();
    tf.keep(value);
    this.buffers.set(name, value);
    return value;
  }

  protected buffer(name: string): Tensor {
    const b = this.buffers.get(name);
    if (!b) throw new TensorCoreError('ARGUMENT', `${this.constructor.name} has no buffer '${name}'`);
    return b;
  }

  /** Register a child module under `name` (may be a number-like name such as `0`). */
  protected registerModule<M extends Module>(name: string, module: M): M {
    TensorCoreError.check(!name.includes('.'), 'ARGUMENT', `module name '${name}' must not contain '.'`);
    this.children.set(name, module);
    return module;
  }

  /**
   * Attach `module` as a new child named `name` from outside the class (PyTorch's `add_module`):
   * how an assembled model puts extra parts into a tree built by another package, e.g. the
   * projectors and the vision tower under a decoder's `model`. The name must be free (use
   * `setSubmodule` to replace a child). Returns `module`.
   */
  addModule<M extends Module>(name: string, module: M): M {
    TensorCoreError.check(typeof name === 'string' && name.length > 0, 'ARGUMENT', `'name' passed to 'addModule' must be a non-empty string`);
    TensorCoreError.check(module instanceof Module, 'ARGUMENT', () => `'module' passed to 'addModule' must be a Module, got ${describeValue(module)}`);
    TensorCoreError.check(!this.children.has(name), 'ARGUMENT', () => `${this.constructor.name} already has a submodule '${name}' (use setSubmodule to replace it)`);
    TensorCoreError.check(!this.params.has(name), 'ARGUMENT', () => `${this.constructor.name} already has a parameter '${name}'`);
    TensorCoreError.check((module as Module) !== this && !module.namedModules().some(([, m]) => m === this), 'ARGUMENT', () => `'addModule': attaching '${name}' would make a cycle`);
    return this.registerModule(name, module);
  }

  /** The parameter registered directly on this module under `name`. */
  param(name: string): Variable {
    const p = this.params.get(name);
    if (!p) throw new TensorCoreError('ARGUMENT', `${this.constructor.name} has no parameter '${name}'`);
    return p;
  }

  /**
   * The direct child registered as `name`. Forwards read children through this (not through a
   * field captured at construction), so a layer replaced with `setSubmodule` is the one that runs.
   */
  child<M extends Module = Module>(name: string): M {
    const m = this.children.get(name);
    if (!m) throw new TensorCoreError('ARGUMENT', `${this.constructor.name} has no submodule '${name}'`);
    return m as M;
  }

  /** Direct children, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Every module below this one (this one first, as ''), with dotted paths. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Every parameter below this module with its dotted checkpoint name, in registration order. */
  namedParameters(prefix = ''): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [name, p] of this.params) out.push([prefix ? `${prefix}.${name}` : name, p]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  parameters(): Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters whose `trainable` flag is set. */
  trainableParameters(): [string, Variable][] {
    return this.namedParameters().filter(([, p]) => p.trainable);
  }

  /** Count of elements over all (or only trainable) parameters. */
  numParameters({ trainableOnly = false } = {}): number {
    return (trainableOnly ? this.trainableParameters() : this.namedParameters()).reduce((n, [, p]) => n + p.size, 0);
  }

  /** Set the trainable flag of every parameter below this module. */
  setTrainable(trainable: boolean): this {
    for (const [, p] of this.namedParameters()) p.trainable = trainable;
    return this;
  }

  /** Set the trainable flag of the parameters whose names match. */
  setTrainableWhere(match: (name: string) => boolean, trainable = true): string[] {
    const hit: string[] = [];
    for (const [name, p] of this.namedParameters()) {
      if (match(name)) {
        p.trainable = trainable;
        hit.push(name);
      }
    }
    return hit;
  }

  /** Training mode on every module below (dropout active). */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Eval mode on every module below (dropout off). */
  eval(): this {
    return this.train(false);
  }

  private resolve(path: string): Slot {
    TensorCoreError.check(path.length > 0, 'ARGUMENT', `'path' passed to 'getSubmodule' must not be empty`);
    const parts = path.split('.');
    let owner: Module = this;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = owner.children.get(parts[i]);
      if (!next) throw new TensorCoreError('ARGUMENT', `no submodule '${parts.slice(0, i + 1).join('.')}' (looking up '${path}')`);
      owner = next;
    }
    return { owner, name: parts[parts.length - 1] };
  }

  /** The submodule at a dotted path, e.g. `model.layers.0.self_attn.qkv_proj`. */
  getSubmodule<M extends Module = Module>(path: string): M {
    const { owner, name } = this.resolve(path);
    const m = owner.children.get(name);
    if (!m) throw new TensorCoreError('ARGUMENT', `no submodule '${path}'`);
    return m as M;
  }

  /** Replace the submodule at a dotted path; returns the module that was there. */
  setSubmodule(path: string, module: Module): Module {
    const { owner, name } = this.resolve(path);
    const old = owner.children.get(name);
    if (!old) throw new TensorCoreError('ARGUMENT', `no submodule '${path}' to replace`);
    owner.children.set(name, module);
    return old;
  }

  /**
   * Remove the submodule at a dotted path and return it (not disposed: the caller decides).
   * How an adapter is deleted, or a failed load rolled back.
   */
  deleteSubmodule(path: string): Module {
    const { owner, name } = this.resolve(path);
    const old = owner.children.get(name);
    if (!old) throw new TensorCoreError('ARGUMENT', `no submodule '${path}' to delete`);
    owner.children.delete(name);
    return old;
  }

  /** Parameters by checkpoint name. The tensors are the live variables: clone to keep a snapshot. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copy `tensors` into the parameters with the same names. Shape mismatches always throw; with
   * `strict` (the default), missing and unexpected keys throw too, all of them listed at once.
   */
  loadStateDict(tensors: TensorMap, { strict = true, ignore = [] }: LoadStateDictOptions = {}): LoadStateDictResult {
    const given = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
    const params = new Map(this.namedParameters());
    const ignored = (k: string) => ignore.some((p) => (typeof p === 'string' ? p === k : p.test(k)));
    const missing = [...params.keys()].filter((k) => !given.has(k));
    const unexpected = [...given.keys()].filter((k) => !params.has(k) && !ignored(k));
    const mismatched: { key: string; expected: number[]; actual: number[] }[] = [];
    for (const [k, t] of given) {
      const p = params.get(k);
      if (p && !sameShape(p.shape, t.shape)) mismatched.push({ key: k, expected: p.shape, actual: t.shape });
    }
    if (mismatched.length || (strict && (missing.length || unexpected.length)))
      throw new StateDictError(strict ? missing : [], strict ? unexpected : [], mismatched);
    for (const [k, t] of given) {
      const p = params.get(k);
      // Loading a parameter's own tensor back (a state dict of this very module) is a no-op.
      if (!p || t === p || t.dataId === p.dataId) continue;
      tf.tidy(() => p.assign(t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
    }
    return { missing, unexpected };
  }

  /**
   * Evaluate `loss` and its gradients with respect to the trainable parameters (or `names`).
   * Returns gradients keyed by parameter name; the caller owns (and disposes) every tensor.
   */
  computeGradients(loss: () => Tensor, names?: string[]): { loss: Tensor; grads: Map<string, Tensor> } {
    const all = new Map(this.namedParameters());
    const selected = names ? names.map((n) => [n, all.get(n)] as const) : this.trainableParameters();
    const vars: Variable[] = [];
    const byVar = new Map<string, string>();
    for (const [name, v] of selected) {
      if (!v) throw new TensorCoreError('ARGUMENT', `computeGradients: no parameter '${name}'`);
      vars.push(v);
      byVar.set(v.name, name);
    }
    TensorCoreError.check(vars.length > 0, 'ARGUMENT', 'computeGradients: no trainable parameters');
    const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, vars);
    const out = new Map<string, Tensor>();
    for (const [vname, g] of Object.entries(grads)) out.set(byVar.get(vname)!, g);
    return { loss: value, grads: out };
  }

  /** Dispose every parameter and buffer below this module. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const p of m.params.values()) p.dispose();
      for (const b of m.buffers.values()) b.dispose();
      m.params.clear();
      m.buffers.clear();
    }
  }
}

const MODULE_BRAND = Symbol.for('@healthgpt/tensor-core/Module');
Object.defineProperty(Module.prototype, MODULE_BRAND, { value: true });

/**
 * True when `x` is a tensor-core `Module` from any copy of tensor-core. A program that loads both
 * the ESM and the CommonJS build (one package imported, another required) has two `Module`
 * classes, so `instanceof` fails across them; this checks a brand registered with `Symbol.for`.
 */
export function isModule(x: unknown): x is Module {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MODULE_BRAND] === true;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** An ordered list of modules registered as `0`, `1`, … (PyTorch's `nn.ModuleList`). */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(modules: M[] = []) {
    super();
    modules.forEach((m) => this.push(m));
  }

  push(m: M): void {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    // Read through the registry so a replaced child (an adapter wrap) is what runs.
    return this.getSubmodule<M>(String(i));
  }

  [Symbol.iterator](): Iterator<M> {
    let i = 0;
    return { next: () => (i < this.items.length ? { value: this.at(i++), done: false } : { value: undefined, done: true }) };
  }
}

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
