/** The one error class of @healthgpt/decoder; `code` is stable for programmatic checks. */
export class DecoderError extends Error {
  constructor(
    message: string,
    readonly code: DecoderErrorCode = 'DECODER',
  ) {
    super(message);
    this.name = 'DecoderError';
  }
}

export type DecoderErrorCode = 'DECODER' | 'CONFIG' | 'ARGUMENT' | 'CHECKPOINT' | 'TOKENIZER' | 'TEMPLATE' | 'GENERATE';

/** Throw a `DecoderError` with `code` unless `cond` holds. */
export function ensure(cond: unknown, message: string | (() => string), code: DecoderErrorCode = 'ARGUMENT'): asserts cond {
  if (!cond) throw new DecoderError(typeof message === 'string' ? message : message(), code);
}
