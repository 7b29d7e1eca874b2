import { HealthGPTError } from '@healthgpt/tensor-core';

/** Stable codes of `VQTokenizerError`. */
export type VQTokenizerErrorCode =
  | 'ARGUMENT' // a function or option was given a bad value (shape, dtype, range)
  | 'CONFIG' // a tokenizer config is invalid; `path` names the field, `file` the config.json
  | 'IMAGE' // a RawImage is malformed or the images of a batch disagree; `record` is the image's index
  | 'TOKEN_TEXT' // a decoder's answer is not a well-formed `<start_index><idx_i>…<end_index>` text
  | 'CHECKPOINT' // a checkpoint or model folder cannot be read; `file` names it
  | 'STATE_DICT'; // the weights of a file do not match the model; the message lists the keys

/**
 * The error every part of @healthgpt/vq-tokenizer throws. `code` is stable; the context (`file`,
 * `key`, `path`, `record`) says where, and the base appends it to the message.
 */
export class VQTokenizerError extends HealthGPTError<VQTokenizerErrorCode> {}
