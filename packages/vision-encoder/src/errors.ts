import { HealthGPTError } from '@healthgpt/tensor-core';

/** Stable codes of `VisionEncoderError`. */
export type VisionEncoderErrorCode =
  | 'ARGUMENT' // a function or forward was called with a bad argument (shape, dtype, image)
  | 'CONFIG' // a model or image-processor config field is missing, mistyped or inconsistent
  | 'STATE_DICT' // checkpoint tensors do not match the model's parameters
  | 'CHECKPOINT'; // a model folder or weight file cannot be read

/**
 * The one error class of @healthgpt/vision-encoder. `code` is stable for programmatic checks;
 * `file`, `key` and `path` (a config field) say where, and are appended to the message.
 */
export class VisionEncoderError extends HealthGPTError<VisionEncoderErrorCode> {}
