/**
 * @healthgpt/vq-tokenizer: taming-transformers' GumbelVQ image tokenizer (HealthGPT's image codec):
 * images in [−1, 1] → discrete codes → images, with taming's checkpoint keys, and training from scratch.
 */
export { VQTokenizerError } from './errors.js';
export { PRESETS, makeConfig, validateConfig, latentSize, vqConfigSchema, type VQConfig, type DDConfig, type QuantizerKind, type PresetName } from './config.js';
export { vqKeyShapes, vqParameterCount, vqSpec } from './key_map.js';
export { VQTokenizer, type VQTokenizerOptions, type EncodeOptions, type TrainForwardOptions, type TrainForwardOutput } from './model.js';
export { Encoder } from './encoder.js';
export { Decoder } from './decoder.js';
export { GumbelQuantize, VectorQuantize, type Quantizer, type QuantizeTrainOutput, type QuantizeTrainOptions } from './quantize.js';
export { ResnetBlock } from './blocks/resnet_block.js';
export { AttnBlock } from './blocks/attn_block.js';
export { Downsample, Upsample } from './blocks/resample.js';
export { loadPretrained, savePretrained, loadConfig, IGNORABLE_KEYS, CONFIG_FILE, WEIGHTS_FILE } from './pretrained.js';
export { rawImagesToTensor, toUint8HWC, type ToTensorOptions } from './image.js';
export {
  codesToText,
  indicesToText,
  textToCodes,
  textToIndices,
  codeToken,
  START_TOKEN,
  END_TOKEN,
  PIXEL_NEWLINE_TOKEN,
  DEFAULT_CODEBOOK_SIZE,
  imageTokenVocabulary,
  imageTokenIds,
  findImageTokenIds,
  codesToIds,
  idsToCodes,
  type ImageTokenIds,
} from './tokens.js';
export { psnr, ssim, codebookUsage, type CodebookUsage } from './metrics.js';
export { VQLoss, type VQLossOptions, type VQLossOutput } from './train/loss.js';
export { evaluateTokenizer, type EvalReport } from './train/evaluate.js';
export { imagesTensor, type ImageSource } from './train/data.js';
