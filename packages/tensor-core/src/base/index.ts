/**
 * `@healthgpt/tensor-core/base`: the tfjs-free part of tensor-core, for packages that must not load
 * (or install) TensorFlow.js, such as vl-health: the error base, the seeded generator, the atomic
 * writer, the `RawImage` type, and the tfjs-free half of the folder I/O (safetensors types, config
 * schemas, the folder reader and writer, checkpoint headers, the header-first load plan). Everything
 * here is also exported from the main entry; the plumbing under it is in `./internal` (unstable).
 */
export { HealthGPTError, type ErrorContext } from './errors.js';
export { TensorCoreError, BackendUnavailableError, SafetensorsError, StateDictError, type TensorCoreErrorCode, type ShapeMismatch } from '../errors.js';
export { Generator } from './generator.js';
export { writeFileAtomic } from './atomic.js';
export type { RawImage } from './image.js';
export * from '../io/base.js';
