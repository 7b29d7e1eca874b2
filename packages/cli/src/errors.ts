import { HealthGPTError } from '@healthgpt/tensor-core/base';

/** What went wrong in a command, as a stable code. */
export type CliErrorCode =
  | 'USAGE' // a bad or missing flag, an unknown choice, a value out of range
  | 'MISSING' // a file or folder named on the command line does not exist
  | 'EXISTS' // an output would overwrite something that is not ours to replace
  | 'REPORT' // the report cannot be rendered from what it was given
  | 'FAILED'; // the work ran and did not succeed (e.g. a model that cannot answer)

/**
 * The error class of @healthgpt/cli. A `CliError` is always the user's to fix: the command prints
 * its message as one line on stderr and exits with `exitCode` (2 for usage mistakes, else 1).
 */
export class CliError extends HealthGPTError<CliErrorCode> {
  get exitCode(): number {
    return this.code === 'USAGE' || this.code === 'MISSING' ? 2 : 1;
  }
}
