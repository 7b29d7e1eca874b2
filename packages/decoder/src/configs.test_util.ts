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

/**
 * The causal-LM loss in float64, from flat logits [B, T, V] and labels [B, T]: the mean over
 * targets labels[r][t + 1] ≠ −100 of −log softmax(logits[r, t])[label]; 0 when there are none.
 */
export function shiftedCrossEntropy64(logits: ArrayLike<number>, labels: readonly (readonly number[])[], v: number): number {
  const t = labels[0].length;
  let sum = 0;
  let count = 0;
  labels.forEach((row, r) => {
    for (let i = 0; i + 1 < t; i++) {
      const y = row[i + 1];
      if (y === -100) continue;
      const off = (r * t + i) * v;
      let m = -Infinity;
      for (let k = 0; k < v; k++) m = Math.max(m, logits[off + k]);
      let z = 0;
      for (let k = 0; k < v; k++) z += Math.exp(logits[off + k] - m);
      sum += Math.log(z) + m - logits[off + y];
      count++;
    }
  });
  return count ? sum / count : 0;
}
