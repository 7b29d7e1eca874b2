import type { TextTokenizer } from '../tokenizer/tokenizer.js';

/**
 * The decoded text of one row's new tokens, step by step. Each step gives the text added since
 * the last; text ending in an incomplete character (a byte-level token that splits a UTF-8
 * sequence decodes to U+FFFD) is held back until the character completes. Ids the tokenizer does
 * not know (a model vocabulary longer than the tokenizer's, as Phi-3's) are left out, as HF's
 * `decode` skips them.
 */
export class RowText {
  private emitted = '';

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly skipSpecialTokens: boolean,
  ) {}

  /** The full text of `ids`. */
  text(ids: readonly number[]): string {
    const known = ids.filter((id) => id < this.tokenizer.length);
    return this.tokenizer.decode(known, { skipSpecialTokens: this.skipSpecialTokens });
  }

  /** The text `ids` add to what was emitted before; with `final`, incomplete characters are emitted too. */
  delta(ids: readonly number[], final = false): string {
    const text = this.text(ids);
    if ((!final && text.endsWith('\uFFFD')) || !text.startsWith(this.emitted)) return '';
    const d = text.slice(this.emitted.length);
    this.emitted = text;
    return d;
  }
}
