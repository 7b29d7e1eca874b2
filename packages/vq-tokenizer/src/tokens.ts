import { tf, type Tensor } from '@healthgpt/tensor-core';
import { VQTokenizerError } from './errors.js';

/*
 * HealthGPT's image-token vocabulary, spelled here and nowhere else: `<start_index>`,
 * `<idx_0>` … `<idx_{n−1}>`, `<end_index>`, `<pixel_newline>` (REFERENCE.md §1). The decoder takes
 * these strings (`extendVocabulary`) or their ids (`indexBlockConstraint`) as arguments, and the
 * assembled model composes the two; the decoder and this package do not depend on each other.
 */

export const START_TOKEN = '<start_index>';
export const END_TOKEN = '<end_index>';
export const PIXEL_NEWLINE_TOKEN = '<pixel_newline>';
const CODE_PREFIX = '<idx_';
const CODE_SUFFIX = '>';

/** The token of code i: `<idx_i>`. */
export const codeToken = (i: number): string => `${CODE_PREFIX}${i}${CODE_SUFFIX}`;

/** The released codebook size (GumbelVQ f8-8192). */
export const DEFAULT_CODEBOOK_SIZE = 8192;

const checkCodebookSize = (n: number, op: string) =>
  VQTokenizerError.check(Number.isInteger(n) && n > 0, 'ARGUMENT', () => `'codebookSize' passed to '${op}' must be a positive integer, got ${n}`);

/**
 * The tokens HealthGPT adds to the text tokenizer, in id order: `<start_index>`, `<idx_0>` …
 * `<idx_{n−1}>`, `<end_index>`, `<pixel_newline>` (n + 3; 8195 for the released codebook).
 */
export function imageTokenVocabulary(codebookSize = DEFAULT_CODEBOOK_SIZE): string[] {
  checkCodebookSize(codebookSize, 'imageTokenVocabulary');
  return [START_TOKEN, ...Array.from({ length: codebookSize }, (_, i) => codeToken(i)), END_TOKEN, PIXEL_NEWLINE_TOKEN];
}

/** The ids of the image tokens in a text vocabulary. */
export interface ImageTokenIds {
  /** Id of `<start_index>`. */
  start: number;
  /** Id of `<idx_0>`; `<idx_i>` is `firstCode + i`. */
  firstCode: number;
  codebookSize: number;
  /** Id of `<end_index>`. */
  end: number;
  /** Id of `<pixel_newline>`. */
  newline: number;
}

/** The ids of `imageTokenVocabulary(codebookSize)` added from id `firstId` on (where `extendVocabulary` puts them). */
export function imageTokenIds(firstId: number, codebookSize = DEFAULT_CODEBOOK_SIZE): ImageTokenIds {
  checkCodebookSize(codebookSize, 'imageTokenIds');
  VQTokenizerError.check(Number.isInteger(firstId) && firstId >= 0, 'ARGUMENT', () => `'firstId' passed to 'imageTokenIds' must be a non-negative integer, got ${firstId}`);
  return { start: firstId, firstCode: firstId + 1, codebookSize, end: firstId + 1 + codebookSize, newline: firstId + 2 + codebookSize };
}

/**
 * The image-token ids of a tokenizer (anything with `tokenToId`), checked to be laid out as
 * `imageTokenVocabulary(codebookSize)`: consecutive, in that order. A missing or misplaced token
 * is an error naming it.
 */
export function findImageTokenIds(tokenizer: { tokenToId(token: string): number | undefined }, codebookSize = DEFAULT_CODEBOOK_SIZE): ImageTokenIds {
  checkCodebookSize(codebookSize, 'findImageTokenIds');
  const first = tokenizer.tokenToId(START_TOKEN);
  VQTokenizerError.check(first !== undefined, 'ARGUMENT', `the tokenizer has no ${START_TOKEN} (add imageTokenVocabulary() first)`, { key: START_TOKEN });
  const ids = imageTokenIds(first, codebookSize);
  imageTokenVocabulary(codebookSize).forEach((token, i) => {
    const id = tokenizer.tokenToId(token);
    VQTokenizerError.check(id === first + i, 'ARGUMENT', () => `the tokenizer's ${token} has id ${id ?? 'none'}, expected ${first + i} (the image tokens must be consecutive from ${START_TOKEN})`, { key: token });
  });
  return ids;
}

/** Codes → the token ids of `<idx_i>` (a training target without going through text). */
export function codesToIds(codes: ArrayLike<number>, ids: ImageTokenIds): number[] {
  return Array.from(codes, (c, i) => {
    VQTokenizerError.check(Number.isInteger(c) && c >= 0 && c < ids.codebookSize, 'ARGUMENT', () => `'codes' passed to 'codesToIds' must be integers in [0, ${ids.codebookSize}), got ${c} at ${i}`);
    return ids.firstCode + c;
  });
}

/**
 * Generated token ids → codes: every `<idx_i>` id after the first `<start_index>` (if any) and
 * before the next `<end_index>`; `<pixel_newline>` is skipped. Any other id inside the block is
 * an error naming its position.
 */
export function idsToCodes(tokens: ArrayLike<number>, ids: ImageTokenIds): number[] {
  let i = Array.prototype.indexOf.call(tokens, ids.start) + 1;
  const codes: number[] = [];
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === ids.end) return codes;
    if (t === ids.newline) continue;
    const c = t - ids.firstCode;
    if (!(Number.isInteger(c) && c >= 0 && c < ids.codebookSize)) throw new VQTokenizerError('TOKEN_TEXT', `'tokens' passed to 'idsToCodes': id ${t} at ${i} is not an image-code token`);
    codes.push(c);
  }
  return codes;
}

/** Codes (raster order) → HealthGPT's answer text `<start_index><idx_i>…<end_index>`. */
export function codesToText(codes: ArrayLike<number>): string {
  const parts: string[] = [START_TOKEN];
  for (let i = 0; i < codes.length; i++) {
    VQTokenizerError.check(Number.isInteger(codes[i]) && codes[i] >= 0, 'ARGUMENT', () => `'codes' passed to 'codesToText' must be non-negative integers, got ${codes[i]} at ${i}`);
    parts.push(codeToken(codes[i]));
  }
  parts.push(END_TOKEN);
  return parts.join('');
}

/** Codes int32 [B, h, w] → one answer text per image. */
export function indicesToText(indices: Tensor): string[] {
  VQTokenizerError.check(indices.rank === 3, 'ARGUMENT', () => `'indices' passed to 'indicesToText' must be rank 3 [B, h, w], got [${indices.shape}]`);
  const [b, h, w] = indices.shape;
  const data = indices.dataSync();
  return Array.from({ length: b }, (_, i) => codesToText(data.subarray(i * h * w, (i + 1) * h * w)));
}

const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TOKEN = new RegExp(`${[START_TOKEN, END_TOKEN, PIXEL_NEWLINE_TOKEN].map(escape).join('|')}|${escape(CODE_PREFIX)}(\\d+)${escape(CODE_SUFFIX)}`, 'g');

/**
 * The codes in a decoder's text: every `<idx_i>` after the first `<start_index>` (if any) and before
 * the next `<end_index>`; `<pixel_newline>` is skipped. Other text between tokens is an error that
 * names its position; codes ≥ `nEmbed` are an error.
 */
export function textToCodes(text: string, { nEmbed }: { nEmbed?: number } = {}): number[] {
  const startAt = text.indexOf(START_TOKEN);
  const from = startAt >= 0 ? startAt + START_TOKEN.length : 0;
  const codes: number[] = [];
  TOKEN.lastIndex = from;
  let pos = from;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const gap = text.slice(pos, m.index);
    if (gap.trim()) throw new VQTokenizerError('TOKEN_TEXT', `'text' passed to 'textToCodes': unexpected ${JSON.stringify(gap.slice(0, 20))} at character ${pos}`);
    pos = m.index + m[0].length;
    if (m[0] === END_TOKEN) return codes;
    if (m[0] === START_TOKEN) throw new VQTokenizerError('TOKEN_TEXT', `'text' passed to 'textToCodes': a second ${START_TOKEN} at character ${m.index}`);
    if (m[1] === undefined) continue; // the pixel-newline token
    const k = Number(m[1]);
    if (nEmbed !== undefined && k >= nEmbed) throw new VQTokenizerError('TOKEN_TEXT', `'text' passed to 'textToCodes': ${m[0]} at character ${m.index} is outside the codebook of ${nEmbed}`);
    codes.push(k);
  }
  const rest = text.slice(pos);
  if (rest.trim()) throw new VQTokenizerError('TOKEN_TEXT', `'text' passed to 'textToCodes': unexpected ${JSON.stringify(rest.slice(0, 20))} at character ${pos}`);
  return codes;
}

/**
 * A decoder's text → codes int32 [1, h, w] for `decode`. With `fill` set, a short answer is padded
 * with that code and a long one cut (HealthGPT crashes unless there are exactly h·w codes);
 * without it, a wrong count is an error.
 */
export function textToIndices(text: string, { h, w, nEmbed, fill }: { h: number; w: number; nEmbed?: number; fill?: number }): Tensor {
  const codes = textToCodes(text, { nEmbed });
  const n = h * w;
  if (codes.length !== n) {
    if (fill === undefined) throw new VQTokenizerError('TOKEN_TEXT', `'text' passed to 'textToIndices' holds ${codes.length} codes, expected ${h}×${w} = ${n} (pass { fill } to pad or cut)`);
    codes.length = Math.min(codes.length, n);
    while (codes.length < n) codes.push(fill);
  }
  return tf.tensor3d(codes, [1, h, w], 'int32');
}
