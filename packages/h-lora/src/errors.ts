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
  | 'CHECKPOINT'; // adapter files are missing, malformed or do not match

/** The one error class of @healthgpt/h-lora; the message names the adapter, layer, key or file. */
export class HLoraError extends Error {
  constructor(
    message: string,
    readonly code: HLoraErrorCode,
  ) {
    super(message);
    this.name = 'HLoraError';
  }
}

/** Adapter tensors that do not match the layers: every missing, unexpected and mis-shaped key. */
export class AdapterStateError extends HLoraError {
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: { key: string; expected: number[]; actual: number[] }[],
    context: string,
  ) {
    const list = (xs: string[]) => (xs.length > 12 ? `${xs.slice(0, 12).join(', ')}, … (${xs.length} in all)` : xs.join(', '));
    const parts: string[] = [];
    if (missing.length) parts.push(`missing keys: ${list(missing)}`);
    if (unexpected.length) parts.push(`unexpected keys: ${list(unexpected)}`);
    if (mismatched.length) parts.push(`shape mismatches: ${mismatched.slice(0, 12).map((m) => `${m.key} expected [${m.expected}] got [${m.actual}]`).join('; ')}`);
    super(`${context}: ${parts.join('; ')}`, 'CHECKPOINT');
    this.name = 'AdapterStateError';
  }
}
