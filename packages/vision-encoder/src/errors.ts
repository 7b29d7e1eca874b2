/**
 * The one error class of @healthgpt/vision-encoder. `code` is stable for programmatic checks;
 * `file` and `key` name the offending file or checkpoint key when there is one.
 */
export class VisionEncoderError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly key?: string;

  constructor(message: string, { code = 'VISION_ENCODER', file, key }: { code?: string; file?: string; key?: string } = {}) {
    super(message);
    this.name = 'VisionEncoderError';
    this.code = code;
    if (file !== undefined) this.file = file;
    if (key !== undefined) this.key = key;
  }
}

/** Throw a `VisionEncoderError` with `message` unless `cond` holds. */
export function ensure(cond: unknown, message: string | (() => string), code = 'ARGUMENT'): asserts cond {
  if (!cond) throw new VisionEncoderError(typeof message === 'string' ? message : message(), { code });
}
