import { TensorCoreError } from '../errors.js';

/**
 * A schedule: a pure function of the step (0, 1, 2, …) giving a learning rate, or a factor for
 * `AdamW.scaleLr`. `steps` is how long it changes (it holds its last value afterwards); a
 * schedule without `steps` (e.g. `constant`) can only end a `sequence`.
 */
export interface Schedule {
  (step: number): number;
  readonly steps?: number;
}

function checkStep(step: number): void {
  TensorCoreError.check(Number.isFinite(step) && step >= 0, 'ARGUMENT', () => `a schedule's step must be a finite number ≥ 0, got ${step}`);
}

function checkArgs(op: string, values: Record<string, number>, steps?: number): void {
  for (const [k, v] of Object.entries(values)) TensorCoreError.check(Number.isFinite(v), 'ARGUMENT', () => `'${k}' passed to '${op}' must be a finite number, got ${v}`);
  if (steps !== undefined) TensorCoreError.check(Number.isInteger(steps) && steps >= 0, 'ARGUMENT', () => `'steps' passed to '${op}' must be an integer ≥ 0, got ${steps}`);
}

function schedule(fn: (step: number) => number, steps?: number): Schedule {
  const s = (step: number) => (checkStep(step), fn(step));
  return steps === undefined ? s : Object.assign(s, { steps });
}

/** The same value at every step. */
export function constant(value: number): Schedule {
  checkArgs('constant', { value });
  return schedule(() => value);
}

/** Linear from `from` (step 0) to `to` (step `steps`), then `to`. Shared by the warm-up and the decay. */
function linear(op: string, from: number, to: number, steps: number): Schedule {
  checkArgs(op, { from, to }, steps);
  return schedule((step) => (step >= steps ? to : from + ((to - from) * step) / steps), steps);
}

/** Linear warm-up: `from` (default 0) at step 0 rising to `to` at step `steps`, then `to`. */
export function linearWarmup({ to, steps, from = 0 }: { to: number; steps: number; from?: number }): Schedule {
  return linear('linearWarmup', from, to, steps);
}

/** Linear decay: `from` at step 0 falling to `to` (default 0) at step `steps`, then `to`. */
export function linearDecay({ from, steps, to = 0 }: { from: number; steps: number; to?: number }): Schedule {
  return linear('linearDecay', from, to, steps);
}

/** Cosine decay: `to + (from − to)·(1 + cos(π·step/steps))/2`, from `from` at step 0 to the floor `to` (default 0) at `steps`, then `to`. */
export function cosineDecay({ from, steps, to = 0 }: { from: number; steps: number; to?: number }): Schedule {
  checkArgs('cosineDecay', { from, to }, steps);
  return schedule((step) => (step >= steps ? to : step === 0 ? from : to + ((from - to) * (1 + Math.cos((Math.PI * step) / steps))) / 2), steps);
}

/**
 * Exponential (geometric) decay: `from·(to/from)^(step/steps)`, from `from` at step 0 to `to` at
 * `steps`, then `to`; both must be > 0. (E.g. the Gumbel-softmax temperature anneal.)
 */
export function exponentialDecay({ from, to, steps }: { from: number; to: number; steps: number }): Schedule {
  checkArgs('exponentialDecay', { from, to }, steps);
  TensorCoreError.check(from > 0 && to > 0, 'ARGUMENT', () => `'from' and 'to' passed to 'exponentialDecay' must be > 0, got ${from} and ${to}`);
  return schedule((step) => (step >= steps ? to : step === 0 ? from : from * (to / from) ** (step / steps)), steps);
}

/**
 * Schedules one after another: each runs for its own `steps`, counted from its start, and the
 * last one runs on (holding its final value). `sequence(linearWarmup(…), cosineDecay(…))`.
 */
export function sequence(...parts: Schedule[]): Schedule {
  TensorCoreError.check(parts.length > 0, 'ARGUMENT', `'sequence' needs at least one schedule`);
  parts.slice(0, -1).forEach((p, i) => TensorCoreError.check(p.steps !== undefined, 'ARGUMENT', `schedule ${i} passed to 'sequence' has no 'steps' (only the last one may run forever)`));
  const starts: number[] = [];
  let total = 0;
  for (const p of parts) {
    starts.push(total);
    total += p.steps ?? 0;
  }
  const last = parts[parts.length - 1];
  const fn = (step: number) => {
    let i = parts.length - 1;
    while (i > 0 && step < starts[i]) i--;
    return parts[i](step - starts[i]);
  };
  return schedule(fn, last.steps === undefined ? undefined : total);
}

/**
 * The usual language-model schedule: linear warm-up from `from` (default 0) to `peak` over
 * `warmupSteps`, then cosine decay to `floor` (default 0) at `totalSteps`, then `floor`.
 */
export function warmupCosine({ peak, warmupSteps, totalSteps, floor = 0, from = 0 }: { peak: number; warmupSteps: number; totalSteps: number; floor?: number; from?: number }): Schedule {
  TensorCoreError.check(Number.isInteger(totalSteps) && Number.isInteger(warmupSteps) && 0 <= warmupSteps && warmupSteps <= totalSteps, 'ARGUMENT', () => `'warmupCosine' needs integers 0 ≤ warmupSteps ≤ totalSteps, got ${warmupSteps} and ${totalSteps}`);
  return sequence(linearWarmup({ from, to: peak, steps: warmupSteps }), cosineDecay({ from: peak, to: floor, steps: totalSteps - warmupSteps }));
}
