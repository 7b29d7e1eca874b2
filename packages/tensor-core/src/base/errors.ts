/**
 * The one error shape of HealthGPT.ts. Every package has one error class extending
 * `HealthGPTError<Code>`, with `Code` a string-literal union of SCREAMING_SNAKE codes, and every
 * failure says where it happened: the file, line, record, key or path (a dotted path inside a
 * record or config, e.g. `conversations[2].from`).
 */

/** Where an error happened. Each field that is set is appended to the message. */
export interface ErrorContext {
  /** The file (or folder) the problem is in. */
  file?: string;
  /** 1-based line in `file` (text formats). */
  line?: number;
  /** 0-based index of the record (array element, JSONL line, batch row). */
  record?: number;
  /** A checkpoint key or tensor name. */
  key?: string;
  /** A dotted path inside a record or config (`rope_theta`, `conversations[2].from`). */
  path?: string;
  /** The underlying error, kept as `cause`. */
  cause?: unknown;
}

/** `(file x, line 3, record 2, key k, at a.b)`: the location suffix of a message, '' when none. */
export function describeContext(context: ErrorContext): string {
  const parts: string[] = [];
  if (context.file !== undefined) parts.push(`file ${context.file}`);
  if (context.line !== undefined) parts.push(`line ${context.line}`);
  if (context.record !== undefined) parts.push(`record ${context.record}`);
  if (context.key !== undefined) parts.push(`key ${context.key}`);
  if (context.path !== undefined) parts.push(`at ${context.path}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * The base of every error HealthGPT.ts throws. `code` is stable for programmatic checks; `detail`
 * is the message without the location suffix; `file`, `line`, `record`, `key` and `path` say where.
 */
export class HealthGPTError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly detail: string;
  readonly file?: string;
  readonly line?: number;
  readonly record?: number;
  readonly key?: string;
  readonly path?: string;

  constructor(code: Code, message: string, context: ErrorContext = {}) {
    super(message + describeContext(context), context.cause !== undefined ? { cause: context.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.detail = message;
    if (context.file !== undefined) this.file = context.file;
    if (context.line !== undefined) this.line = context.line;
    if (context.record !== undefined) this.record = context.record;
    if (context.key !== undefined) this.key = context.key;
    if (context.path !== undefined) this.path = context.path;
  }

  /** The context this error was thrown with (to rethrow with more of it). */
  get context(): ErrorContext {
    const { file, line, record, key, path, cause } = this;
    return { file, line, record, key, path, cause };
  }

  /**
   * The one argument guard: throw this class with `code` unless `cond` holds.
   * `DecoderError.check(n > 0, 'ARGUMENT', \`'n' passed to 'generate' must be > 0, got ${n}\`)`.
   * A function message is only built when the check fails.
   */
  static check<C extends string, E extends HealthGPTError<C>>(
    this: new (code: C, message: string, context?: ErrorContext) => E,
    cond: unknown,
    code: NoInfer<C>,
    message: string | (() => string),
    context?: ErrorContext,
  ): asserts cond {
    if (!cond) throw new this(code, typeof message === 'string' ? message : message(), context);
  }
}
