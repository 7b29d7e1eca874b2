import { totalmem } from 'node:os';
import { TensorCoreError } from '../../errors.js';

/** The most elements one tensor may have (TensorFlow.js indexes with int32; wasm has a 4 GB heap). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * The default bound on a model's parameter count: as many float32 values as this machine has
 * memory (`os.totalmem() / 4`), so a config that could never fit is refused before anything is
 * allocated. Pass `maxParameters` to a loader or constructor to choose another bound.
 */
export function defaultMaxParameters(): number {
  return Math.floor(totalmem() / 4);
}


/** Throw `TOO_LARGE` unless `count` parameters are allowed (NaN and infinities never are). */
export function checkParameterCount(count: number, { maxParameters = defaultMaxParameters(), what = 'the model', file }: { maxParameters?: number; what?: string; file?: string } = {}): void {
  if (!(Number.isFinite(count) && count >= 0 && count <= maxParameters))
    throw new TensorCoreError(
      'TOO_LARGE',
      `the config implies ${count} parameters for ${what}, more than the bound of ${maxParameters} (pass a larger 'maxParameters' if this machine can hold it)`,
      { file },
    );
}

/** Throw `TOO_LARGE` when a tensor of `shape` could not be allocated. */
export function checkTensorSize(key: string, shape: readonly number[], file?: string): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!(n <= MAX_TENSOR_ELEMENTS)) throw new TensorCoreError('TOO_LARGE', `tensor '${key}' of shape [${shape.join(', ')}] has ${n} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor can hold`, { key, file });
}
