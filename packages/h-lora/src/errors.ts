import { HealthGPTError, type ErrorContext, type ShapeMismatch } from '@healthgpt/tensor-core';
import { describeMismatch } from '@healthgpt/tensor-core/internal';

/** Stable codes of `HLoraError`, for programmatic checks. */
export type HLoraErrorCode =
  | 'CONFIG' // an adapter config field is invalid
  | 'UNKNOWN_KIND' // no adapter kind registered under that name
  | 'UNKNOWN_ADAPTER' // a layer holds no adapter under that name
  | 'ARGUMENT' // a bad argument (name, shape, target)
  | 'NO_MATCH' // injection matched no Linear layer
  | 'NOT_MERGEABLE' // the kind has no input-independent weight delta
  | 'MERGE_STATE' // merge/unmerge out of order
  | 'NON_FINITE' // a safe merge produced NaN or Inf
  | 'CHECKPOINT' // adapter files are missing or malformed, or do not fit the config
  | 'UNSUPPORTED' // adapter_config.json asks for peft math this package does not implement
  | 'STATE_DICT'; // adapter tensors do not match the layers (AdapterStateError)

/**
 * The one error class of @healthgpt/h-lora. The message names the adapter, layer or argument;
 * the file, key and config field go in the context (`file`, `key`, `path`), appended by the base.
 */
export class HLoraError extends HealthGPTError<HLoraErrorCode> {}

/**
 * Adapter tensors that do not match the layers: every missing, unexpected and mis-shaped key, in
 * the same fields and message form as tensor-core's `StateDictError` (`describeMismatch`).
 */
export class AdapterStateError extends HLoraError {
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: ShapeMismatch[],
    what: string,
    context: ErrorContext = {},
  ) {
    super('STATE_DICT', `${what}: ${describeMismatch(missing, unexpected, mismatched)}`, context);
  }
}
