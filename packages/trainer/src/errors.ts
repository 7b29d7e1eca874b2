import { HealthGPTError } from '@healthgpt/tensor-core';

/** Stable codes of `TrainerError`. */
export type TrainerErrorCode =
  | 'ARGUMENT' // a function was called with a bad argument
  | 'STAGE' // a stage spec is malformed or does not fit the model (unknown task, selector that matches nothing)
  | 'DATA' // a data source is empty, or a sample cannot be encoded
  | 'NON_FINITE' // a loss or gradient became NaN or Infinity
  | 'CHECKPOINT' // a checkpoint folder is missing, incomplete or does not match the run
  | 'INTERRUPTED'; // the run was stopped by a signal (a checkpoint was saved)

/** The error class of @healthgpt/trainer; the context names the file, key or step concerned. */
export class TrainerError extends HealthGPTError<TrainerErrorCode> {}
