import { HealthGPTError } from '@healthgpt/tensor-core';

/** Stable codes of `ModelError`. */
export type ModelErrorCode =
  | 'CONFIG' // a config.json (or config object) field is missing, of the wrong type or inconsistent
  | 'ARGUMENT' // a method was called with a bad argument
  | 'UNKNOWN_TASK' // a task (plugin) name the model does not have
  | 'IMAGE' // an image of the wrong size, channel count or layout
  | 'IMAGE_COUNT' // the prompts' <image> tags and the images given do not pair up
  | 'PROMPT_TOO_LONG' // a spliced prompt (plus the tokens to generate) exceeds the model's length
  | 'CHECKPOINT' // a model folder or release file is missing, malformed or does not match the model
  | 'TOKENIZER' // no tokenizer, or one that lacks the tokens the model needs
  | 'QUANTIZED'; // an operation that needs float weights on an int8 model

/** The error class of @healthgpt/model; the context names the file, key, row or config path. */
export class ModelError extends HealthGPTError<ModelErrorCode> {}
