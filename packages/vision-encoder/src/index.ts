/**
 * @healthgpt/vision-encoder: HealthGPT's eyes. A CLIP ViT in the HF `CLIPVisionModel` layout
 * that returns every hidden state, hierarchical feature selection (comprehension reads layer −2,
 * generation layer 1, from one forward), the reference's image preprocessing bit for bit
 * (expand2square, Pillow bicubic, CLIP normalisation), and the LLaVA projectors.
 */
export { VisionEncoderError } from './errors.js';

export {
  CLIP_VISION_DEFAULTS,
  resolveVisionConfig,
  validateVisionConfig,
  visionConfigToJSON,
  visionParameterCount,
  gridSize,
  numPatches,
  visionConfigSchema,
  clipConfigFileSchema,
  type CLIPVisionConfig,
} from './model/config.js';
export { visionPreset, VISION_PRESETS, type VisionPresetName } from './model/presets.js';
export { CLIPVisionModel, type CLIPVisionModelOptions, type FromPretrainedOptions } from './model/clip_vision_model.js';
export { CLIPVisionTransformer, CLIPEncoder, type CLIPVisionOutput } from './model/vision_transformer.js';
export { CLIPEncoderLayer } from './model/encoder_layer.js';
export { CLIPAttention } from './model/attention.js';
export { CLIPMLP } from './model/mlp.js';
export { CLIPVisionEmbeddings } from './model/embeddings.js';
export { PatchEmbedding } from './model/patch_embedding.js';
export { CLIP_IGNORABLE_KEYS, visionKeyShapes, visionSpec, type LoadWeightsOptions } from './model/checkpoint.js';

export { selectFeatures, type SelectFeaturesOptions } from './features/select.js';
export { selectTaskFeatures, HEALTHGPT_FEATURE_LAYERS, type FeatureLayers, type TaskFeatures } from './features/hierarchical.js';

export { toRgb8, validateRawImage, MAX_IMAGE_PIXELS, type Rgb8Image } from './preprocess/rgb8.js';
export { expand2square, meanColour } from './preprocess/expand2square.js';
export { resizeBicubic } from './preprocess/pillow_bicubic.js';
export {
  CLIP_IMAGE_MEAN,
  CLIP_IMAGE_STD,
  clipImageProcessorConfig,
  resolveImageProcessorConfig,
  imageProcessorConfigSchema,
  MAX_PROCESSOR_SIDE,
  type CLIPImageProcessorConfig,
} from './preprocess/processor_config.js';
export { loadImageProcessorConfig, saveImageProcessorConfig, PROCESSOR_CONFIG_FILE } from './preprocess/processor_io.js';
export { preprocessImage, preprocessImages, preprocessSteps, normalizeToChw, type PreprocessSteps } from './preprocess/preprocess.js';

export {
  buildProjector,
  MlpGeluProjector,
  LinearProjector,
  IdentityProjector,
  type Projector,
  type ProjectorOptions,
} from './projector/projectors.js';
export {
  COMPREHENSION_PROJECTOR_PREFIX,
  GENERATION_PROJECTOR_PREFIX,
  projectorStateDict,
  loadProjectorWeights,
  inferProjector,
  saveProjector,
  loadProjector,
  projectorKeyShapes,
  type ProjectorShape,
} from './projector/io.js';
