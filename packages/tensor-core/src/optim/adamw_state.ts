import { tf, type Tensor, type Variable } from '../tf.js';
import { StateDictError, TensorCoreError, type ShapeMismatch } from '../errors.js';
import { sameShape } from '../module.js';
import type { ParamState } from './adamw.js';

export interface LoadStateOptions {
  /** Require exactly the optimizer's keys (default true). */
  strict?: boolean;
  /** The file the tensors came from, named in errors. */
  file?: string;
}

/** `step`, then `exp_avg.<name>`, `exp_avg_sq.<name>`, `step.<name>` per parameter: new tensors the caller owns. */
export function optimizerStateTensors(stepCount: number, params: { name: string; variable: Variable; state?: ParamState }[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>([['step', tf.scalar(stepCount, 'int32')]]);
  for (const { name, variable, state } of params) {
    out.set(`exp_avg.${name}`, state ? state.expAvg.clone() : tf.zerosLike(variable));
    out.set(`exp_avg_sq.${name}`, state ? state.expAvgSq.clone() : tf.zerosLike(variable));
    out.set(`step.${name}`, tf.scalar(state?.step ?? 0, 'int32'));
  }
  return out;
}

/** A step count stored as a one-element tensor: a non-negative integer, or an error naming the key. */
function readStep(t: Tensor, key: string, file?: string): number {
  TensorCoreError.check(t.size === 1, 'STATE_DICT', () => `optimizer state '${key}' must hold one number, got shape [${t.shape}]`, { file, key });
  const v = t.dataSync()[0];
  TensorCoreError.check(Number.isInteger(v) && v >= 0, 'STATE_DICT', () => `optimizer state '${key}' must be a non-negative integer, got ${v}`, { file, key });
  return v;
}

/**
 * Check state tensors against the parameters' shapes and read them: the step count, and per
 * parameter with a step > 0 its moments (clones the optimizer owns). Nothing is allocated unless
 * every check passes.
 */
export function readOptimizerState(
  tensors: ReadonlyMap<string, Tensor>,
  shapes: ReadonlyMap<string, readonly number[]>,
  { strict = true, file }: LoadStateOptions = {},
): { stepCount: number; params: Map<string, ParamState> } {
  const expected = new Set(['step']);
  for (const n of shapes.keys()) for (const k of [`exp_avg.${n}`, `exp_avg_sq.${n}`, `step.${n}`]) expected.add(k);
  const missing = strict ? [...expected].filter((k) => !tensors.has(k)) : [];
  const unexpected = strict ? [...tensors.keys()].filter((k) => !expected.has(k)) : [];
  const mismatched: ShapeMismatch[] = [];
  for (const [n, shape] of shapes)
    for (const k of [`exp_avg.${n}`, `exp_avg_sq.${n}`]) {
      const t = tensors.get(k);
      if (t && !sameShape(t.shape, shape)) mismatched.push({ key: k, expected: [...shape], actual: t.shape });
    }
  if (missing.length || unexpected.length || mismatched.length) throw new StateDictError(missing, unexpected, mismatched, 'AdamW.loadStateDict', { file });

  const stepT = tensors.get('step');
  const stepCount = stepT ? readStep(stepT, 'step', file) : 0;
  const found: [string, Tensor, Tensor, number][] = [];
  for (const n of shapes.keys()) {
    const [m, v, s] = [tensors.get(`exp_avg.${n}`), tensors.get(`exp_avg_sq.${n}`), tensors.get(`step.${n}`)];
    if (!m && !v && !s) continue; // not strict: this parameter starts afresh
    TensorCoreError.check(m && v && s, 'STATE_DICT', `optimizer state of '${n}' is incomplete: exp_avg, exp_avg_sq and step are needed together`, { file, key: n });
    for (const [k, t] of [[`exp_avg.${n}`, m], [`exp_avg_sq.${n}`, v]] as const)
      TensorCoreError.check(t.dtype === 'float32', 'STATE_DICT', () => `optimizer state '${k}' must be a float tensor, got ${t.dtype}`, { file, key: k });
    const step = readStep(s, `step.${n}`, file);
    TensorCoreError.check(!stepT || step <= stepCount, 'STATE_DICT', () => `optimizer state 'step.${n}' is ${step}, more than the optimizer's 'step' ${stepCount}`, { file, key: `step.${n}` });
    if (step > 0) found.push([n, m, v, step]);
  }
  const params = new Map<string, ParamState>();
  for (const [n, m, v, step] of found) params.set(n, { expAvg: tf.keep(m.clone()), expAvgSq: tf.keep(v.clone()), step });
  return { stepCount, params };
}
