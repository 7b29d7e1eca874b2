import type { Variable } from '../tf.js';
import { TensorCoreError } from '../errors.js';

/** AdamW's hyper-parameters; every parameter group has its own. */
export interface AdamWHyper {
  /** Learning rate (≥ 0). Schedules change it per step: `setLr`, `scaleLr`. */
  lr: number;
  /** Decay rates of the first and second moment estimates, each in [0, 1). */
  betas: readonly [number, number];
  /** Added to the denominator after bias correction (PyTorch's placement). */
  eps: number;
  /** Decoupled weight decay: p ← p·(1 − lr·weightDecay) before the Adam update. */
  weightDecay: number;
}

/** Named parameters, as `Module.namedParameters()` / `trainableParameters()` return them. */
export type NamedParameters = Iterable<readonly [string, Variable]>;

/** One parameter group as given to the optimizer: its parameters and the settings that differ from the defaults. */
export interface ParamGroupSpec extends Partial<AdamWHyper> {
  params: NamedParameters;
  /** A label for the group (default `group<i>`); `setLr(value, name)` accepts it. */
  name?: string;
}

/** A rule of `paramGroups`: which parameters go to this group, and its settings. */
export interface GroupRule extends Partial<AdamWHyper> {
  name?: string;
  /** Parameter names (each must exist), a RegExp tested on the name, or a predicate. */
  match: readonly string[] | RegExp | ((name: string, param: Variable) => boolean);
}

/**
 * Split named parameters into parameter groups: each parameter joins the first rule that matches
 * it, and the parameters no rule matches form a last group `rest` (with the optimizer's defaults
 * unless `rest` sets others; left out when empty). A rule that lists a name no parameter has is an
 * error (a typo would otherwise move nothing). Groups keep the parameters' order.
 *
 *   paramGroups(model.trainableParameters(), [{ name: 'no_decay', match: (_, p) => p.rank < 2, weightDecay: 0 }])
 */
export function paramGroups(params: NamedParameters, rules: readonly GroupRule[], rest: Omit<ParamGroupSpec, 'params'> = {}): ParamGroupSpec[] {
  const all = [...params];
  const known = new Set(all.map(([n]) => n));
  const members: [string, Variable][][] = rules.map(() => []);
  const others: [string, Variable][] = [];
  rules.forEach((r, i) => {
    if (Array.isArray(r.match)) {
      const unknown = (r.match as readonly string[]).filter((n) => !known.has(n));
      TensorCoreError.check(unknown.length === 0, 'ARGUMENT', () => `'rules[${i}].match' passed to 'paramGroups' names no parameter: ${unknown.join(', ')}`);
    }
  });
  const matches = (r: GroupRule, name: string, p: Variable): boolean => {
    if (r.match instanceof RegExp) return r.match.test(name);
    if (typeof r.match === 'function') return r.match(name, p);
    return r.match.includes(name);
  };
  for (const [name, p] of all) {
    const i = rules.findIndex((r) => matches(r, name, p));
    (i >= 0 ? members[i] : others).push([name, p]);
  }
  const groups: ParamGroupSpec[] = rules.map(({ match: _m, ...settings }, i) => ({ ...settings, params: members[i] }));
  if (others.length) groups.push({ name: 'rest', ...rest, params: others });
  return groups;
}
