import { IGNORE_INDEX } from '@healthgpt/tensor-core';
import { codesToIds, type ImageTokenIds } from '@healthgpt/vq-tokenizer';
import { ModelError } from '../errors.js';

/**
 * Aligned generation (`aligned_generation`, our extension): an image answer
 * `<start_index> <idx_t0> … <idx_t(n−1)> <end_index>` becomes
 * `<start_index> <idx_i0> … <idx_i(n−1)> <end_index>`, the input image's codes in place of the
 * target's, with the labels moved so that the position holding input code k predicts target
 * code k: labels `<start_index>, −100, t0 … t(n−1)` over the same n + 2 positions. The decoder
 * thus sees, at the position where it must emit code k, the input's code at the same place of the
 * grid (and every input code before it), and refines it. `ids` and `labels` are one encoded
 * sample (the answer is the last supervised `<start_index>` block); new arrays are returned.
 */
export function alignAnswer(ids: readonly number[], labels: readonly number[], tokens: ImageTokenIds, inputCodes: readonly number[], where = 'sample'): { ids: number[]; labels: number[] } {
  const n = inputCodes.length;
  let s = -1;
  for (let j = ids.length - 1; j >= 0 && s < 0; j--) if (ids[j] === tokens.start && labels[j] === tokens.start) s = j;
  ModelError.check(s >= 0, 'ARGUMENT', `${where}: no supervised <start_index> answer to align`);
  ModelError.check(ids[s + n + 1] === tokens.end && labels[s + n + 1] === tokens.end, 'ARGUMENT', () => `${where}: its answer is not ${n} codes (the input image's count) between <start_index> and <end_index>`);
  const outIds = [...ids];
  const outLabels = [...labels];
  codesToIds(inputCodes, tokens).forEach((id, k) => (outIds[s + 1 + k] = id));
  outLabels[s + 1] = IGNORE_INDEX;
  for (let k = 0; k < n; k++) outLabels[s + 2 + k] = labels[s + 1 + k];
  return { ids: outIds, labels: outLabels };
}

/** A generation prompt (ending with `<start_index>`) followed by the input image's codes: what aligned generation runs one forward over. */
export function alignedPrompt(promptIds: readonly number[], tokens: ImageTokenIds, inputCodes: readonly number[]): number[] {
  ModelError.check(promptIds[promptIds.length - 1] === tokens.start, 'ARGUMENT', `an aligned generation prompt must end with <start_index>`);
  return [...promptIds, ...codesToIds(inputCodes, tokens)];
}
