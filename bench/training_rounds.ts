/**
 * Interleaved rounds of two trainers (bench/README.md, "Paired ratios"): the training section's
 * comparison of our fastest engine with PyTorch. Each round runs both sides back to back, each
 * `warmup` untimed steps and then `steps` timed ones, the side that goes first alternating from
 * round to round; the round's ratio is (their median step time) / (our median step time), which is
 * our tokens/s over theirs at the same batch. The ratio reported is the median over rounds, with
 * its spread (bench/paired.ts): many short rounds under one load each, instead of a few long ones
 * whose load differs between the sides.
 */
import { median } from './report.js';

/** One side of the comparison: trains `warmup` untimed steps, then `steps` timed ones, and returns those steps' times in ms. */
export type RoundSide = (warmup: number, steps: number) => Promise<number[]> | number[];

export interface RoundsPlan {
  rounds: number;
  /** Untimed steps at the start of every round on both sides: the first step after the other side's round runs on caches and BLAS threads the other side just used. */
  warmup: number;
  /** Timed steps per side and round. */
  steps: number;
}

export interface RoundsResult {
  /** Every timed step of each side, in order. */
  oursMs: number[];
  theirsMs: number[];
  /** Per round: (their median step time) / (our median step time). */
  ratios: number[];
  /** Per round: whether our side went first. */
  oursFirst: boolean[];
}

/** Throws unless the plan is whole numbers: rounds ≥ 1, steps ≥ 1, warmup ≥ 0. */
export function checkPlan(plan: RoundsPlan): void {
  const { rounds, warmup, steps } = plan;
  for (const [key, v, min] of [['rounds', rounds, 1], ['warmup', warmup, 0], ['steps', steps, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`training bench: ${key} must be an integer ≥ ${min}, got ${v}`);
  }
}

/**
 * Run `plan.rounds` rounds of `ours` against `theirs`, ours first in even rounds and theirs first in
 * odd ones, after `start` (each side's untimed first steps, ours then theirs) when given.
 */
export async function interleavedRounds(plan: RoundsPlan, ours: RoundSide, theirs: RoundSide, start?: { ours: () => unknown; theirs: () => unknown }): Promise<RoundsResult> {
  checkPlan(plan);
  if (start) {
    await start.ours();
    await start.theirs();
  }
  const out: RoundsResult = { oursMs: [], theirsMs: [], ratios: [], oursFirst: [] };
  for (let round = 0; round < plan.rounds; round++) {
    const oursFirst = round % 2 === 0;
    let a: number[];
    let b: number[];
    if (oursFirst) {
      a = await ours(plan.warmup, plan.steps);
      b = await theirs(plan.warmup, plan.steps);
    } else {
      b = await theirs(plan.warmup, plan.steps);
      a = await ours(plan.warmup, plan.steps);
    }
    for (const [side, ms] of [['ours', a], ['theirs', b]] as const) {
      if (ms.length !== plan.steps) throw new Error(`training bench: ${side} returned ${ms.length} step times in round ${round}, expected ${plan.steps}`);
    }
    out.oursMs.push(...a);
    out.theirsMs.push(...b);
    out.ratios.push(median(b) / median(a));
    out.oursFirst.push(oursFirst);
  }
  return out;
}
