/**
 * @healthgpt/decoder: decoder-only LMs in the Phi-3 and Qwen2 layouts with a KV cache, batched
 * and constrained generation, tokenizers, chat templates and vocabulary extension.
 */
export { DecoderError, type DecoderErrorCode } from './errors.js';
export { parseConfig, withVocabSize, type DecoderConfig, type DecoderConfigJson, type ModelType } from './model/config.js';
export { DecoderLM, DecoderModel, type DecoderLMOptions } from './model/decoder_lm.js';
export { DecoderLayer } from './model/layer.js';
export { DecoderAttention, groupedQueryAttention } from './model/attention.js';
export { DecoderMLP } from './model/mlp.js';
export { TokenEmbedding, HeadLinear } from './model/embedding.js';
export { attentionBias, positionIdsFromMask, arangePositions } from './model/masks.js';
export { disposeCache, cacheLength, cacheBytes, type LayerCache, type PastKeyValues, type LinearLike } from './model/types.js';
export type { ForwardInput, ForwardOutput } from './model/forward_input.js';
