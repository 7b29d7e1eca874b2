/**
 * @healthgpt/decoder: decoder-only LMs in the Phi-3 and Qwen2 layouts with a KV cache, batched
 * and constrained generation, tokenizers, chat templates and vocabulary extension.
 */
export { DecoderError, type DecoderErrorCode } from './errors.js';
export { parseConfig, withVocabSize, decoderConfigSchema, type DecoderConfig, type DecoderConfigJson, type ModelType } from './model/config.js';
export { DecoderLM, DecoderModel, type DecoderLMOptions } from './model/decoder_lm.js';
export { DecoderLayer } from './model/layer.js';
export { DecoderAttention } from './model/attention.js';
export { DecoderMLP } from './model/mlp.js';
export { TokenEmbedding, HeadLinear } from './model/embedding.js';
export { disposeCache, cacheLength, cacheBytes, type LayerCache, type PastKeyValues, type LinearLike, type InitOptions } from './model/types.js';
export type { ForwardInput, ForwardOutput } from './model/forward_input.js';
export { generate, samplingProcessors, type GenerateOptions, type SamplingOptions, type GenerateResult, type TokenEvent, type StopToken } from './generate/generate.js';
export { parseGenerationConfig, loadGenerationConfig, GENERATION_CONFIG_FILE, type GenerationConfig } from './generate/generation_config.js';
export {
  repetitionPenalty,
  temperature,
  topK,
  topP,
  softmax,
  restrictTo,
  allowedTokens,
  composeProcessors,
  type LogitsProcessor,
  type ProcessorContext,
} from './generate/processors.js';
export { indexBlockConstraint, type IndexBlockOptions } from './generate/index_block.js';
export { argmax, sample } from './generate/sampling.js';
export { fromPretrained, savePretrained, CONFIG_FILE, WEIGHTS_FILE, INDEX_FILE, type SavePretrainedOptions } from './io/pretrained.js';
export { decoderSpec, decoderKeyShapes } from './io/key_map.js';
export { PRESETS, preset, parameterCount, type PresetName } from './model/presets.js';
export { HFTokenizer, type TextTokenizer } from './tokenizer/tokenizer.js';
export { trainByteLevelBpe, type TrainBpeOptions } from './tokenizer/bpe_trainer.js';
export { encodeBatch, padBatch, type PaddedBatch, type PaddingSide, type EncodeBatchOptions } from './tokenizer/padding.js';
export { MAX_TOKEN_ID } from './tokenizer/vocabulary.js';
export { extendVocabulary, type ExtendVocabularyResult } from './tokenizer/extend_vocabulary.js';
export {
  CHAT_TEMPLATES,
  chatTemplate,
  applyChatTemplate,
  imagePrompt,
  IMAGE_PLACEHOLDER,
  type ChatTemplate,
  type ChatTemplateName,
  type ChatMessage,
  type ApplyTemplateOptions,
} from './chat/templates.js';
export { tokenizeWithImages, IMAGE_TOKEN_INDEX } from './chat/image_tokens.js';
export { JinjaChatTemplate, chatTemplateJinja, chatTemplateFromConfig, type JinjaRenderOptions } from './chat/jinja.js';
