import type { Selector } from './selectors.js';
import type { ScheduleSpec } from './schedule.js';

/** A parameter group of a stage: the parameters it selects get their own lr / weight decay. */
export interface GroupSpec {
  name: string;
  match: Selector | readonly Selector[];
  lr?: number;
  weightDecay?: number;
}

/** Only rows [from, to) of a trainable matrix learn (the other rows' gradients are zeroed), e.g. new vocabulary rows. */
export interface RowSpec {
  param: string;
  rows: readonly [number, number];
}

/** How long a stage runs: optimizer steps, or passes over its tasks' data (see `stageSteps`). */
export type StageLength = { steps: number } | { epochs: number };

/**
 * A training stage, as data: what trains (everything else is frozen), how (parameter groups,
 * schedule, clipping), on what (a mixture of tasks by weight), for how long.
 */
export interface StageSpec {
  name: string;
  /** Parameters that train; every other parameter is frozen for the stage. */
  trainable: readonly Selector[];
  /** Restrict some trainable matrices to some rows. */
  rows?: readonly RowSpec[];
  /** Base learning rate (the `rest` group's, and the default of every group). */
  lr: number;
  /** Decoupled weight decay (default 0, as the paper). */
  weightDecay?: number;
  betas?: readonly [number, number];
  eps?: number;
  /** Parameter groups with their own settings (a parameter joins the first group that matches it). */
  groups?: readonly GroupSpec[];
  /** Task name → weight; each micro-batch's task is drawn with these weights (default: in proportion to each task's data). */
  mixture?: Readonly<Record<string, number>>;
  /** Items per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimizer step (default 1): the effective batch is batchSize × this. */
  gradientAccumulation?: number;
  /** Clip the global gradient norm to this (default: off). */
  clipNorm?: number;
  length: StageLength;
  /** LR multiplier schedule (default constant). */
  schedule?: ScheduleSpec;
  /** Seeds the data order and the task draws of this stage (default 0). */
  seed?: number;
  /** Write a checkpoint every this many optimizer steps (default: only at the stage's end). */
  checkpointEvery?: number;
  /** On a NaN / Inf loss or gradient: stop the run (default), or skip the step and go on. */
  onNonFinite?: 'stop' | 'skip';
  /** Length-group batches by the tasks' item lengths (default true where a task gives lengths). */
  groupByLength?: boolean;
}

/** The optimizer steps of a stage: `steps`, or ⌈epochs × Σ batches per epoch of its tasks / accumulation⌉. */
export function stageSteps(length: StageLength, batchesPerEpoch: number, accumulation: number): number {
  if ('steps' in length) return length.steps;
  return Math.max(1, Math.ceil((length.epochs * batchesPerEpoch) / accumulation));
}
