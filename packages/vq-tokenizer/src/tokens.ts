import { tf, type Tensor } from '@healthgpt/tensor-core';
import { VQTokenizerError } from './errors.js';

export const START_TOKEN = '<start_index>';
export const END_TOKEN = '<end_index>';
export const PIXEL_NEWLINE_TOKEN = '<pixel_newline>';

/** The token of code i: `<idx_i>`. */
export const codeToken = (i: number): string => `<idx_${i}>`;

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

const TOKEN = /<start_index>|<end_index>|<pixel_newline>|<idx_(\d+)>/g;

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
    if (m[1] === undefined) continue; // <pixel_newline>
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
