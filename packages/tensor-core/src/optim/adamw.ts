import { tf, type Tensor, type Variable } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { sameShape } from '../module.js';
import { adamWKernelFor, type AdamWEntry, type AdamWKernel } from './adamw_kernel.js';
import type { AdamWHyper, NamedParameters, ParamGroupSpec } from './param_groups.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors/file.js';
import { readOptimizerState, optimizerStateTensors, type LoadStateOptions } from './adamw_state.js';

export interface AdamWOptions extends Partial<AdamWHyper> {
  /** The update kernel; default: the one registered for the active backend (`registerAdamWKernel`), else tfjs ops. */
  kernel?: AdamWKernel;
}

/** A parameter group of an optimizer: its settings (lr mutable through the optimizer) and parameter names. */
export interface ParamGroup extends AdamWHyper {
  readonly name: string;
  /** Parameter names, in order. */
  readonly names: readonly string[];
  /** The lr the group was built with; `scaleLr(f)` sets lr = initialLr·f. */
  readonly initialLr: number;
}

/** Optimizer state of one parameter (absent until its first gradient). */
export interface ParamState {
  expAvg: Tensor;
  expAvgSq: Tensor;
  step: number;
}

const DEFAULTS: AdamWHyper = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 };

function checkHyper(h: AdamWHyper, where: string): void {
  const bad = (what: string) => `'${what}' of ${where} `;
  TensorCoreError.check(Number.isFinite(h.lr) && h.lr >= 0, 'ARGUMENT', () => `${bad('lr')}must be a finite number ≥ 0, got ${h.lr}`);
  TensorCoreError.check(Array.isArray(h.betas) && h.betas.length === 2 && h.betas.every((b) => b >= 0 && b < 1), 'ARGUMENT', () => `${bad('betas')}must be two numbers in [0, 1), got ${JSON.stringify(h.betas)}`);
  TensorCoreError.check(Number.isFinite(h.eps) && h.eps >= 0, 'ARGUMENT', () => `${bad('eps')}must be a finite number ≥ 0, got ${h.eps}`);
  TensorCoreError.check(Number.isFinite(h.weightDecay) && h.weightDecay >= 0, 'ARGUMENT', () => `${bad('weightDecay')}must be a finite number ≥ 0, got ${h.weightDecay}`);
}

const isSpecList = (x: NamedParameters | readonly ParamGroupSpec[]): x is readonly ParamGroupSpec[] =>
  Array.isArray(x) && x.length > 0 && !Array.isArray(x[0]) && typeof x[0] === 'object' && x[0] !== null && 'params' in x[0];

/**
 * AdamW (decoupled weight decay, PyTorch's `torch.optim.AdamW`) over named parameters, with
 * parameter groups. State is kept per parameter name (`exp_avg`, `exp_avg_sq` and its own step
 * count, as PyTorch does), so it saves and loads by checkpoint name.
 *
 *   const opt = new AdamW(model.trainableParameters(), { lr: 3e-4, weightDecay: 0.1 });
 *   const { loss, grads } = model.computeGradients(() => lossOf(batch));
 *   opt.step(grads);           // parameters without a gradient are left alone
 *   tf.dispose([loss, ...grads.values()]);
 */
export class AdamW {
  readonly groups: readonly (ParamGroup & { lr: number })[];
  /** How many times `step` has run. */
  stepCount = 0;
  private readonly kernel?: AdamWKernel;
  private readonly params = new Map<string, { variable: Variable; group: number }>();
  private readonly state = new Map<string, ParamState>();

  /** `params`: named parameters (one group), or a list of groups (`paramGroups` builds one from rules). */
  constructor(params: NamedParameters | readonly ParamGroupSpec[], options: AdamWOptions = {}) {
    const { kernel, ...rest } = options;
    const defaults: AdamWHyper = { ...DEFAULTS, ...definedOnly(rest) };
    checkHyper(defaults, 'the optimizer options');
    this.kernel = kernel;
    const specs: readonly ParamGroupSpec[] = isSpecList(params) ? params : [{ params: params as NamedParameters }];
    this.groups = specs.map((spec, i) => {
      const { params: named, name = `group${i}`, ...own } = spec;
      const hyper: AdamWHyper = { ...defaults, ...definedOnly(own) };
      checkHyper(hyper, `parameter group '${name}'`);
      const names: string[] = [];
      for (const [n, v] of named) {
        TensorCoreError.check(!this.params.has(n), 'ARGUMENT', `parameter '${n}' is given twice to the optimizer (in group '${name}')`, { key: n });
        TensorCoreError.check(v.dtype === 'float32', 'ARGUMENT', () => `parameter '${n}' must be float32 to be optimized, got ${v.dtype}`, { key: n });
        this.params.set(n, { variable: v, group: i });
        names.push(n);
      }
      return { ...hyper, betas: [hyper.betas[0], hyper.betas[1]] as const, name, names, initialLr: hyper.lr };
    });
    TensorCoreError.check(this.params.size > 0, 'ARGUMENT', 'the optimizer was given no parameters');
  }

  /** Every parameter name the optimizer updates, in group order. */
  get parameterNames(): string[] {
    return [...this.params.keys()];
  }

  /** The state of parameter `name` (undefined before its first gradient). The tensors stay owned by the optimizer. */
  paramState(name: string): Readonly<ParamState> | undefined {
    return this.state.get(name);
  }

  /** Set the learning rate of every group, or of one group (by index or name). */
  setLr(lr: number, group?: number | string): void {
    TensorCoreError.check(Number.isFinite(lr) && lr >= 0, 'ARGUMENT', `'lr' passed to 'setLr' must be a finite number ≥ 0, got ${lr}`);
    for (const g of this.selectGroups(group)) g.lr = lr;
  }

  /** Set each group's lr to its initial lr times `factor` (a schedule's multiplier). */
  scaleLr(factor: number, group?: number | string): void {
    TensorCoreError.check(Number.isFinite(factor) && factor >= 0, 'ARGUMENT', `'factor' passed to 'scaleLr' must be a finite number ≥ 0, got ${factor}`);
    for (const g of this.selectGroups(group)) g.lr = g.initialLr * factor;
  }

  /** The current learning rate of each group. */
  get lrs(): number[] {
    return this.groups.map((g) => g.lr);
  }

  private selectGroups(group?: number | string): (ParamGroup & { lr: number })[] {
    if (group === undefined) return [...this.groups];
    const g = typeof group === 'number' ? this.groups[group] : this.groups.find((x) => x.name === group);
    TensorCoreError.check(g !== undefined, 'ARGUMENT', () => `no parameter group ${JSON.stringify(group)} (groups: ${this.groups.map((x) => x.name).join(', ')})`);
    return [g];
  }

  /**
   * One AdamW step with `grads` keyed by parameter name (`Module.computeGradients`' map). A
   * parameter without a gradient is skipped: its value, moments and step count stay as they are.
   * Every gradient is checked (a known parameter, the same shape, float32) before anything changes.
   * The gradients are not disposed.
   */
  step(grads: ReadonlyMap<string, Tensor>): void {
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      TensorCoreError.check(p !== undefined, 'ARGUMENT', `a gradient was given for '${name}', which is not a parameter of this optimizer`, { key: name });
      TensorCoreError.check(sameShape(g.shape, p.variable.shape), 'ARGUMENT', () => `the gradient of '${name}' has shape [${g.shape}], the parameter [${p.variable.shape}]`, { key: name });
      TensorCoreError.check(g.dtype === 'float32', 'ARGUMENT', () => `the gradient of '${name}' must be float32, got ${g.dtype}`, { key: name });
    }
    for (const g of this.groups) checkHyper(g, `parameter group '${g.name}'`);
    const entries: AdamWEntry[] = [];
    for (const [name, { variable, group }] of this.params) {
      const grad = grads.get(name);
      if (!grad) continue;
      const s = this.state.get(name);
      const h = this.groups[group];
      entries.push({
        name,
        param: variable,
        grad,
        expAvg: s?.expAvg ?? tf.keep(tf.zerosLike(variable)),
        expAvgSq: s?.expAvgSq ?? tf.keep(tf.zerosLike(variable)),
        step: (s?.step ?? 0) + 1,
        lr: h.lr,
        beta1: h.betas[0],
        beta2: h.betas[1],
        eps: h.eps,
        weightDecay: h.weightDecay,
      });
    }
    (this.kernel ?? adamWKernelFor()).update(entries);
    for (const e of entries) this.state.set(e.name, { expAvg: e.expAvg, expAvgSq: e.expAvgSq, step: e.step });
    this.stepCount++;
  }

  /**
   * The state as tensors the caller owns and disposes: `step` (int32 scalar: steps taken), and per
   * parameter `exp_avg.<name>`, `exp_avg_sq.<name>` and `step.<name>` (zeros and 0 before its
   * first gradient), in parameter order. Save it with `saveSafetensors`, or use `save`.
   */
  stateDict(): Map<string, Tensor> {
    return optimizerStateTensors(this.stepCount, [...this.params].map(([name, { variable }]) => ({ name, variable, state: this.state.get(name) })));
  }

  /**
   * Restore a state written by `stateDict`. Strict by default: every key must be present and
   * known, with the parameter's shape, or a `StateDictError` lists what does not match and
   * nothing changes. With `strict: false`, parameters missing from `tensors` start afresh and
   * unknown keys are ignored (shapes are still checked). The caller keeps owning `tensors`.
   */
  loadStateDict(tensors: ReadonlyMap<string, Tensor>, options: LoadStateOptions = {}): void {
    const shapes = new Map([...this.params].map(([n, { variable }]) => [n, variable.shape]));
    const { stepCount, params } = readOptimizerState(tensors, shapes, options);
    this.disposeState();
    for (const [name, s] of params) this.state.set(name, s);
    this.stepCount = stepCount;
  }

  /** Write the state to a safetensors file (atomically). */
  async save(file: string): Promise<void> {
    const tensors = this.stateDict();
    try {
      await saveSafetensors(file, tensors, { format: 'pt', producer: '@healthgpt/tensor-core AdamW' });
    } finally {
      tf.dispose([...tensors.values()]);
    }
  }

  /** Read a state written by `save` (strict by default); errors name the file. */
  async load(file: string, options: LoadStateOptions = {}): Promise<void> {
    const { tensors } = await loadSafetensors(file);
    try {
      this.loadStateDict(tensors, { ...options, file });
    } finally {
      tf.dispose([...tensors.values()]);
    }
  }

  private disposeState(): void {
    for (const s of this.state.values()) tf.dispose([s.expAvg, s.expAvgSq]);
    this.state.clear();
  }

  /** Free the moments (the parameters are not touched); the optimizer starts afresh if used again. */
  dispose(): void {
    this.disposeState();
    this.stepCount = 0;
  }
}

/** Adam: AdamW without weight decay (PyTorch's coupled L2 `weight_decay` is not offered: use AdamW). */
export class Adam extends AdamW {
  constructor(params: NamedParameters | readonly ParamGroupSpec[], options: Omit<AdamWOptions, 'weightDecay'> = {}) {
    TensorCoreError.check(!('weightDecay' in options) || !(options as AdamWOptions).weightDecay, 'ARGUMENT', `Adam takes no 'weightDecay': use AdamW for decoupled weight decay`);
    if (isSpecList(params))
      params.forEach((g, i) => TensorCoreError.check(!g.weightDecay, 'ARGUMENT', `parameter group ${g.name ?? i} of Adam sets 'weightDecay': use AdamW for decoupled weight decay`));
    super(params, { ...options, weightDecay: 0 });
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
