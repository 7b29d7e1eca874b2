import { DecoderError } from '../errors.js';
import type { TextTokenizer } from '../tokenizer/tokenizer.js';
import { IMAGE_PLACEHOLDER } from './templates.js';

/** The sentinel id that marks where image features go (LLaVA's IMAGE_TOKEN_INDEX). */
export const IMAGE_TOKEN_INDEX = -200;

/**
 * Tokenise a prompt with `<image>` placeholders as LLaVA's `tokenizer_image_token`: split at
 * `<image>`, tokenise each piece on its own, and put the sentinel (−200) between the pieces.
 * When the tokenizer adds a BOS to the first piece, the prompt keeps that one BOS at its start
 * and the BOS each later piece gets is dropped; a tokenizer that adds none gets none.
 */
export function tokenizeWithImages(tokenizer: TextTokenizer, prompt: string, imageTokenId = IMAGE_TOKEN_INDEX): number[] {
  DecoderError.check(typeof prompt === 'string', 'TOKENIZER', `'prompt' passed to 'tokenizeWithImages' must be a string`);
  const pieces = prompt.split(IMAGE_PLACEHOLDER).map((p) => tokenizer.encode(p));
  const bos = tokenizer.bosTokenId;
  const offset = bos !== null && pieces[0].length > 0 && pieces[0][0] === bos ? 1 : 0;
  const ids: number[] = offset ? [bos!] : [];
  pieces.forEach((p, i) => {
    if (i > 0) ids.push(imageTokenId);
    ids.push(...(offset && p[0] === bos ? p.slice(1) : p));
  });
  return ids;
}
