/** Small configurations shared by this package's tests (not exported from the package). */
import type { DecoderConfigJson } from './model/config.js';

export function tinyConfig(modelType: 'phi3' | 'qwen2', over: Partial<DecoderConfigJson> = {}): DecoderConfigJson {
  return {
    model_type: modelType,
    vocab_size: 48,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rope_theta: modelType === 'phi3' ? 10000 : 1e6,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 0,
    ...over,
  };
}
