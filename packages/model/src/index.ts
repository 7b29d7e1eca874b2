/**
 * @healthgpt/model: HealthGPT assembled. A CLIP vision tower, one projector and one H-LoRA plugin
 * per task over one decoder, in one module tree under the release's names; task routing and
 * splicing, loss in the forward, comprehension and image generation, our model folders and the
 * reference release's layout, presets, int8 weight-only inference.
 */
export { ModelError, type ModelErrorCode } from './errors.js';
export { healthGPTConfigSchema, type HealthGPTConfigJson, type TaskConfigJson, type PluginConfigJson, type ImageTokensJson } from './config/schema.js';
export { parseHealthGPTConfig, configToJson, type HealthGPTConfig, type TaskSpec, type PluginSpec } from './config/parse.js';
export { HealthGPT, type HealthGPTOptions, type HealthGPTOutput } from './model/healthgpt.js';
export type { HealthGPTGenerateOptions, HealthGPTGenerateResult } from './model/generate.js';
export type { HealthGPTInput } from './model/inputs.js';
export { RELEASE_PREFIX, VISION_PREFIX, RELEASE_PROJECTOR, savedKeyToParameter, parameterToSavedKey } from './io/keys.js';
export { importRelease, type ReleaseParts, type ReleaseTaskOptions } from './io/release.js';
export { HealthGPTProcessor, type EncodedSample, type HealthGPTBatch } from './processor/processor.js';
export { conversationSegments, encodeSegments, type Turn, type Segment } from './processor/conversation.js';
export { TargetCodeCache } from './processor/target_codes.js';
export { type ComprehendOptions, type ComprehendRequest, type ComprehendResult } from './inference/comprehend.js';
export { type GenerateImageOptions, type GenerateImageRequest, type GeneratedImage } from './inference/generate_image.js';
export { healthGPTPreset, HEALTHGPT_PRESETS, type HealthGPTPresetName, type PresetOptions } from './presets/presets.js';
export { countParameters, vqParameterCount, projectorParameterCount, type ParameterCounts } from './presets/count.js';
export { fromPretrained, savePretrained, baseParameters, CONFIG_FILE, WEIGHTS_FILE, PLUGINS_DIR, VQ_DIR, type LoadOptions, type SaveOptions } from './io/pretrained.js';
export { healthGPTSpec, baseKeyShapes } from './io/spec.js';
export { loadRelease, saveRelease, releasePluginFile, type ReleaseFiles } from './io/release_files.js';
export { assemble, assembledConfig, type AssembleParts } from './model/assemble.js';
