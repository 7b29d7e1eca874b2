/**
 * @healthgpt/h-lora: LoRA, DoRA, looped MoE-LoRA and HealthGPT's H-LoRA as adapter kinds in a
 * registry users extend; injection into named Linear layers; several named (task) adapters per
 * layer; enable/disable; merge/unmerge and merge-and-unload for mergeable kinds; PEFT-layout
 * adapter checkpoints.
 */
export { HLoraError, AdapterStateError, type HLoraErrorCode } from './errors.js';
export type {
  AdapterKind,
  AdapterConfig,
  ResolvedAdapterConfig,
  AdapterParams,
  BaseLayer,
  DeltaContext,
  ExpertWeights,
  KindSettings,
  LayerWeights,
  MergeResult,
} from './kinds/kind.js';
export { resolveConfig, loraScaling, type ResolveOptions } from './kinds/resolve.js';
export { registerAdapterKind, getAdapterKind, adapterKindNames, validateAdapterKind } from './kinds/registry.js';
export { loraKind } from './kinds/lora.js';
export { doraKind } from './kinds/dora.js';
export { moeLoraKind } from './kinds/moe_lora.js';
export { hloraKind } from './kinds/hlora.js';
export { AdaptedLinear, isAdaptedLinear, type AddAdapterOptions, type BiasMode } from './adapted_linear.js';
export { type TargetSpec } from './targets.js';
export {
  injectAdapters,
  adaptedLayers,
  setActiveAdapter,
  disableAdapters,
  enableAdapters,
  markOnlyAdapterTrainable,
  deleteAdapter,
  type InjectOptions,
  type AdapterKindSettings,
  type KindRef,
  type SettingsOf,
  type ConfigFor,
} from './inject.js';
export { mergeAndUnload, type MergeAndUnloadOptions } from './merge.js';
export { toConfigJson, fromConfigJson, adapterConfigSchema, type AdapterConfigJson, type AdapterSpec, type ConfigJsonOptions, type ConfigJsonLayout } from './adapter_config.js';
export { adapterStateDict, loadAdapterStateDict, PEFT_PREFIX, type LoadAdapterStateOptions } from './state_dict.js';
export { saveAdapter, loadAdapter, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, type LoadAdapterOptions, type LoadAdapterResult } from './checkpoint.js';
export { readAdapterFolder, writeAdapterFolder, type AdapterFolder } from './adapter_folder.js';
export { inspectRelease, importHealthGPTRelease, type ReleaseLayout, type ImportReleaseOptions } from './release.js';
