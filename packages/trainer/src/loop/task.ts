import type { Generator, Tensor } from '@healthgpt/tensor-core';

/** What a step knows when it asks a task for a loss. */
export interface StepContext {
  /** The stage's name. */
  stage: string;
  /** Optimizer steps finished in this stage before this one (0-based). */
  step: number;
  /** Micro-batch index within the step (0 … gradientAccumulation − 1). */
  micro: number;
}

/** A task's loss for one batch: the scalar to differentiate, with optional parts to log. */
export interface TaskLoss {
  loss: Tensor;
  /** Named scalar parts (e.g. reconstruction and KL terms), read after the step and logged. */
  parts?: Record<string, Tensor>;
}

/**
 * A task: a list of items (a batch source) and a loss. The loop draws batches of items with a
 * seeded, resumable loader, turns them into a batch with `collate`, and differentiates `loss`.
 * Nothing here is model-specific: the task closes over whatever model it trains.
 */
export interface Task<Item = unknown, Batch = unknown> {
  readonly name: string;
  readonly items: readonly Item[];
  /** Length of an item for length-grouped batching (e.g. its token count); none: plain shuffling. */
  lengthOf?(item: Item): number;
  /** Items → the batch the loss takes (may make tensors; `dispose` frees them). */
  collate(items: Item[]): Batch;
  /** The loss of a batch (called inside the gradient tape; every tensor it makes is freed by the loop). */
  loss(batch: Batch, ctx: StepContext): Tensor | TaskLoss;
  /** Tokens (or other units) a batch holds, for tokens/s (default: the number of items). */
  tokens?(batch: Batch): number;
  /** Free what `collate` made. */
  dispose?(batch: Batch): void;
  /** Random generators the loss uses besides the model's dropout (e.g. Gumbel noise), saved in checkpoints by name. */
  generators?(): Record<string, Generator>;
}
