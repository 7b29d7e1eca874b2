import { constant, cosineDecay, linearDecay, linearWarmup, sequence, type Schedule } from '@healthgpt/tensor-core';
import { TrainerError } from '../errors.js';

/**
 * A learning-rate schedule as data: a multiplier of every group's lr per optimizer step.
 * - `constant`: 1 throughout;
 * - `cosine`: linear warm-up from 0 over `warmup` steps (or `warmupRatio` of the stage), then cosine to `floor` (default 0) at the end;
 * - `linear`: the same warm-up, then linear to `floor` at the end.
 */
export type ScheduleSpec =
  | { kind: 'constant'; warmup?: number; warmupRatio?: number }
  | { kind: 'cosine' | 'linear'; warmup?: number; warmupRatio?: number; floor?: number };

/** The multiplier schedule of `spec` over a stage of `steps` optimizer steps. */
export function lrMultiplier(spec: ScheduleSpec, steps: number): Schedule {
  TrainerError.check(['constant', 'cosine', 'linear'].includes(spec.kind), 'STAGE', () => `unknown schedule kind '${spec.kind}' (expected constant, cosine or linear)`);
  const warm = spec.warmup ?? Math.round((spec.warmupRatio ?? 0) * steps);
  TrainerError.check(Number.isInteger(warm) && warm >= 0 && warm <= steps, 'STAGE', () => `schedule warm-up must be an integer in [0, ${steps}] steps, got ${warm}`);
  const floor = spec.kind === 'constant' ? 1 : (spec.floor ?? 0);
  const rest = steps - warm;
  const after = spec.kind === 'constant' || rest === 0 ? constant(1) : spec.kind === 'cosine' ? cosineDecay({ from: 1, to: floor, steps: rest }) : linearDecay({ from: 1, to: floor, steps: rest });
  // warm-up reaches 1 at step `warm`; step 0 trains at 1/(warm+1) rather than 0, so no step is wasted
  return warm > 0 ? sequence(linearWarmup({ from: 1 / (warm + 1), to: 1, steps: warm }), after) : after;
}
