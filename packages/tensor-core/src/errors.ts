/** Base class of every error tensor-core throws; `code` is stable for programmatic checks. */
export class TensorCoreError extends Error {
  constructor(
    message: string,
    readonly code: string = 'TENSOR_CORE',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A backend was requested that is not installed or failed to initialise. */
export class BackendUnavailableError extends TensorCoreError {
  constructor(
    readonly backend: string,
    message: string,
  ) {
    super(message, 'BACKEND_UNAVAILABLE');
  }
}

/** A safetensors file is malformed, or a tensor cannot be represented. */
export class SafetensorsError extends TensorCoreError {
  constructor(
    message: string,
    readonly file?: string,
    readonly tensor?: string,
  ) {
    super(message, 'SAFETENSORS');
  }
}

/** A state dict does not match a module: lists every missing, unexpected and mis-shaped key. */
export class StateDictError extends TensorCoreError {
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: { key: string; expected: number[]; actual: number[] }[],
    context = 'loadStateDict',
  ) {
    const parts: string[] = [];
    const list = (xs: string[]) => (xs.length > 10 ? `${xs.slice(0, 10).join(', ')}, … (${xs.length} in all)` : xs.join(', '));
    if (missing.length) parts.push(`missing keys: ${list(missing)}`);
    if (unexpected.length) parts.push(`unexpected keys: ${list(unexpected)}`);
    if (mismatched.length)
      parts.push(
        `shape mismatches: ${mismatched
          .slice(0, 10)
          .map((m) => `${m.key} expected [${m.expected}] got [${m.actual}]`)
          .join('; ')}`,
      );
    super(`${context}: ${parts.join('; ')}`, 'STATE_DICT');
  }
}

/** An argument failed validation at an op's door. */
export class ArgumentError extends TensorCoreError {
  constructor(message: string) {
    super(message, 'ARGUMENT');
  }
}

/** Throw an `ArgumentError` naming the op and argument unless `cond` holds. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new ArgumentError(typeof message === 'string' ? message : message());
}

/** Assert a tensor's rank: "'x' passed to 'rmsNorm' must be rank 3, got [2, 5]". */
export function checkRank(shape: readonly number[], ranks: number | number[], arg: string, op: string): void {
  const ok = Array.isArray(ranks) ? ranks.includes(shape.length) : shape.length === ranks;
  check(ok, () => `'${arg}' passed to '${op}' must be rank ${Array.isArray(ranks) ? ranks.join(' or ') : ranks}, got [${shape.join(', ')}]`);
}
