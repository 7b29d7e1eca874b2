import { HealthGPTError, type ErrorContext } from './base/errors.js';

/** Stable codes of `TensorCoreError`. */
export type TensorCoreErrorCode =
  | 'ARGUMENT' // an op or function was called with a bad argument
  | 'BACKEND_UNAVAILABLE' // a requested backend is not installed or failed to start
  | 'NON_FINITE' // a value that must be finite is NaN or infinite (e.g. a gradient norm)
  | 'SAFETENSORS' // a safetensors file is malformed, or a tensor cannot be stored
  | 'STATE_DICT' // tensors do not match a module's parameters (or a config's key map, or an optimizer's state)
  | 'CONFIG' // a JSON config (config.json, an index, a journal) is unreadable or has a wrong field
  | 'FOLDER' // a model folder's files: missing, not regular, a link out of the folder, an unsafe shard name, too large
  | 'TOO_LARGE'; // a config implies more parameters (or a larger tensor) than the bound

/** The error class of @healthgpt/tensor-core; the message names the op, argument, file or key. */
export class TensorCoreError extends HealthGPTError<TensorCoreErrorCode> {}

/** A backend was requested that is not installed or failed to initialise. */
export class BackendUnavailableError extends TensorCoreError {
  constructor(
    readonly backend: string,
    message: string,
  ) {
    super('BACKEND_UNAVAILABLE', message);
  }
}

/** A safetensors file is malformed, or a tensor cannot be represented; `file` and `key` say where. */
export class SafetensorsError extends TensorCoreError {
  constructor(message: string, context: ErrorContext = {}) {
    super('SAFETENSORS', message, context);
  }
}

export interface ShapeMismatch {
  key: string;
  expected: number[];
  actual: number[];
}

/** A state dict does not match a module: lists every missing, unexpected and mis-shaped key. */
export class StateDictError extends TensorCoreError {
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: ShapeMismatch[],
    context = 'loadStateDict',
    where: ErrorContext = {},
  ) {
    super('STATE_DICT', `${context}: ${describeMismatch(missing, unexpected, mismatched)}`, where);
  }
}

/** "missing keys: …; unexpected keys: …; shape mismatches: …", at most 10 of each. */
export function describeMismatch(missing: readonly string[], unexpected: readonly string[], mismatched: readonly ShapeMismatch[]): string {
  const list = (xs: readonly string[]) => (xs.length > 10 ? `${xs.slice(0, 10).join(', ')}, … (${xs.length} in all)` : xs.join(', '));
  const parts: string[] = [];
  if (missing.length) parts.push(`missing keys: ${list(missing)}`);
  if (unexpected.length) parts.push(`unexpected keys: ${list(unexpected)}`);
  if (mismatched.length)
    parts.push(
      `shape mismatches: ${mismatched
        .slice(0, 10)
        .map((m) => `${m.key} expected [${m.expected}] got [${m.actual}]`)
        .join('; ')}${mismatched.length > 10 ? `; … (${mismatched.length} in all)` : ''}`,
    );
  return parts.join('; ');
}

/** Assert a tensor's rank: "'x' passed to 'rmsNorm' must be rank 3, got [2, 5]". */
export function checkRank(shape: readonly number[], ranks: number | number[], arg: string, op: string): void {
  const ok = Array.isArray(ranks) ? ranks.includes(shape.length) : shape.length === ranks;
  TensorCoreError.check(ok, 'ARGUMENT', () => `'${arg}' passed to '${op}' must be rank ${Array.isArray(ranks) ? ranks.join(' or ') : ranks}, got [${shape.join(', ')}]`);
}
