/** The error every part of @healthgpt/vq-tokenizer throws; the message names the argument, key or file. */
export class VQTokenizerError extends Error {
  constructor(
    message: string,
    readonly code: string = 'VQ_TOKENIZER',
  ) {
    super(message);
    this.name = 'VQTokenizerError';
  }
}

/** Throw a `VQTokenizerError` unless `cond` holds. */
export function ensure(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new VQTokenizerError(typeof message === 'string' ? message : message());
}
