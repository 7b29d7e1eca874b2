import { DecoderError } from '../errors.js';
import type { TextTokenizer } from './tokenizer.js';

/** A padded batch, HF's `input_ids` and `attention_mask` (1 = token, 0 = padding). */
export interface PaddedBatch {
  inputIds: number[][];
  attentionMask: number[][];
}

export type PaddingSide = 'left' | 'right';

/**
 * Pad id lists to one length with `padId` on the given side (left for generation, right for
 * training, as HF's `padding_side`). The lists are not checked: callers validate ids.
 */
export function padBatch(seqs: readonly (readonly number[])[], padId: number, side: PaddingSide = 'right'): PaddedBatch {
  const len = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  for (const s of seqs) {
    const pad = new Array<number>(len - s.length);
    const ones = new Array<number>(s.length).fill(1);
    inputIds.push(side === 'left' ? [...pad.fill(padId), ...s] : [...s, ...pad.fill(padId)]);
    attentionMask.push(side === 'left' ? [...pad.fill(0), ...ones] : [...ones, ...pad.fill(0)]);
  }
  return { inputIds, attentionMask };
}

export interface EncodeBatchOptions {
  /** Which side gets the padding (default 'right', HF's default; 'left' for generation). */
  padding?: PaddingSide;
  /** The pad id (default: the tokenizer's pad token). Must be an id of the tokenizer. */
  padTokenId?: number;
  /** Let the post-processor add e.g. BOS (default true; HF `add_special_tokens`). */
  addSpecialTokens?: boolean;
}

/**
 * Encode several texts into one padded batch: HF's `tokenizer(texts, padding=True)` →
 * `{ inputIds, attentionMask }` (`input_ids`, `attention_mask`). The pad id is checked to be an
 * id of the tokenizer.
 */
export function encodeBatch(tokenizer: TextTokenizer, texts: readonly string[], o: EncodeBatchOptions = {}): PaddedBatch {
  DecoderError.check(Array.isArray(texts) && texts.length > 0, 'ARGUMENT', `'texts' passed to 'encodeBatch' must be a non-empty list of strings`);
  const side = o.padding ?? 'right';
  DecoderError.check(side === 'left' || side === 'right', 'ARGUMENT', () => `'padding' passed to 'encodeBatch' must be 'left' or 'right', got ${JSON.stringify(side)}`);
  const padId = o.padTokenId ?? tokenizer.padTokenId;
  DecoderError.check(padId !== null && padId !== undefined, 'ARGUMENT', `'encodeBatch' needs a pad id: the tokenizer has no pad token, so pass 'padTokenId'`);
  checkTokenId(padId, tokenizer.length, 'padTokenId', 'encodeBatch');
  const seqs = texts.map((t, i) => {
    DecoderError.check(typeof t === 'string', 'ARGUMENT', () => `'texts[${i}]' passed to 'encodeBatch' must be a string, got ${typeof t}`, { record: i });
    return tokenizer.encode(t, { addSpecialTokens: o.addSpecialTokens ?? true });
  });
  return padBatch(seqs, padId, side);
}

/** Throw unless `id` is an integer in [0, size): "'padTokenId' passed to 'generate' must be an integer id in [0, 300), got 512". */
export function checkTokenId(id: unknown, size: number, arg: string, op: string): asserts id is number {
  DecoderError.check(typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < size, 'ARGUMENT', () => `'${arg}' passed to '${op}' must be an integer id in [0, ${size}), got ${typeof id === 'number' ? id : JSON.stringify(id)}`);
}
