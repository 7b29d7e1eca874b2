/**
 * @healthgpt/h-lora: LoRA, looped MoE-LoRA and HealthGPT's H-LoRA as adapter kinds in a
 * registry users extend; injection into named Linear layers; several named (task) adapters per
 * layer; enable/disable; merge/unmerge for mergeable kinds; PEFT-layout adapter checkpoints.
 */
export { HLoraError, AdapterStateError, type HLoraErrorCode } from './errors.js';
export { resolveConfig, type AdapterKind, type AdapterConfig, type ResolvedAdapterConfig, type AdapterParams, type DeltaContext, type ExpertWeights } from './kinds/kind.js';
export { registerAdapterKind, getAdapterKind, adapterKindNames } from './kinds/registry.js';
export { loraKind } from './kinds/lora.js';
export { moeLoraKind } from './kinds/moe_lora.js';
export { hloraKind } from './kinds/hlora.js';
export { AdaptedLinear, insertAdapterName, type AddAdapterOptions } from './adapted_linear.js';
export {
  injectAdapters,
  adaptedLayers,
  setActiveAdapter,
  disableAdapters,
  enableAdapters,
  markOnlyAdapterTrainable,
  deleteAdapter,
  type InjectOptions,
  type TargetSpec,
} from './inject.js';
export { toConfigJson, fromConfigJson, type AdapterConfigJson, type ConfigJsonOptions } from './adapter_config.js';
export {
  adapterStateDict,
  loadAdapterStateDict,
  saveAdapter,
  loadAdapter,
  PEFT_PREFIX,
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type LoadAdapterStateOptions,
  type LoadAdapterOptions,
  type LoadAdapterResult,
} from './checkpoint.js';
export { readAdapterFolder, writeAdapterFolder, type AdapterFolder } from './adapter_folder.js';
export { inspectRelease, importHealthGPTRelease, type ReleaseLayout, type ImportReleaseOptions } from './release.js';
