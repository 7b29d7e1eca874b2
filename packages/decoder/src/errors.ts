import { HealthGPTError } from '@healthgpt/tensor-core';

/** Stable codes of `DecoderError`. */
export type DecoderErrorCode =
  | 'ARGUMENT' // a function or method was called with a bad argument
  | 'CONFIG' // a config.json (or generation_config.json) field is missing, mistyped or unsupported
  | 'CHECKPOINT' // a model folder or its weights do not match the config
  | 'TOKENIZER' // a tokenizer file is malformed, or encode/decode got bad input
  | 'TEMPLATE' // a chat template is unknown, fails to render, or got malformed messages
  | 'GENERATE'; // generation cannot continue (every token forbidden, non-finite logits)

/**
 * The error class of @healthgpt/decoder. `code` is stable for programmatic checks; the file, key
 * or path of the problem are context fields (appended to the message by the base class).
 */
export class DecoderError extends HealthGPTError<DecoderErrorCode> {}
