export { AdamW, Adam, type AdamWOptions, type ParamGroup, type ParamState } from './adamw.js';
export { paramGroups, type AdamWHyper, type ParamGroupSpec, type GroupRule, type NamedParameters } from './param_groups.js';
export type { AdamWKernel, AdamWEntry } from './adamw_kernel.js';
export type { LoadStateOptions } from './adamw_state.js';
export { constant, linearWarmup, linearDecay, cosineDecay, exponentialDecay, sequence, warmupCosine, type Schedule } from './schedules.js';
export { clipGradNorm, gradNorm, allFinite } from './clip.js';
export { GradientAccumulator } from './accumulate.js';
