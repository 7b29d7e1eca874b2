import { tf } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import type { DecoderLM } from '../model/decoder_lm.js';
import type { TextTokenizer } from './tokenizer.js';

export interface ExtendVocabularyResult {
  /** Tokens actually added (those already known are skipped). */
  added: number;
  /** The tokenizer's length before, i.e. the first new id. */
  firstNewId: number;
  /** The model's new vocabulary size (= the tokenizer's new length). */
  vocabSize: number;
}

/**
 * Add `tokens` to the tokenizer (new ids from its length) and resize the model's embedding and
 * lm_head to the tokenizer's new length. HealthGPT passes its image tokens here
 * (`imageTokenVocabulary()` of @healthgpt/vq-tokenizer, their one home; the assembled model
 * composes the two packages). Rows below the old tokenizer length are kept; every row
 * from there on starts at the mean of rows [0, old length) (REFERENCE.md §1; for Phi-3 the rows
 * 32011…32063 beyond its tokenizer are reset too, as HealthGPT does).
 */
export function extendVocabulary(model: DecoderLM, tokenizer: TextTokenizer, tokens: readonly string[], { special = true }: { special?: boolean } = {}): ExtendVocabularyResult {
  const old = tokenizer.length;
  DecoderError.check(old <= model.config.vocabSize, 'ARGUMENT', () => `extendVocabulary: the tokenizer (${old} entries) is longer than the model's vocabulary (${model.config.vocabSize})`);
  const added = tokenizer.addTokens(tokens, { special });
  const size = tokenizer.length;
  model.resizeTokenEmbeddings(size, old);
  return { added, firstNewId: old, vocabSize: size };
}

/** [V, d] → [size, d]: rows [0, keep) copied, the rest the mean of rows [0, keep). */
export function resizeRowsWithMean(weight: tf.Tensor, size: number, keep: number): tf.Tensor {
  return tf.tidy(() => {
    const d = weight.shape[1]!;
    const kept = weight.slice([0, 0], [keep, d]); // [keep, d]
    if (size === keep) return kept;
    const mean = tf.mean(kept, 0, true); // [1, d]
    return tf.concat([kept, tf.tile(mean, [size - keep, 1])], 0); // [size, d]
  });
}
