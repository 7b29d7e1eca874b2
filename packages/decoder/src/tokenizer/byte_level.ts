/**
 * GPT-2's reversible byte → printable-character table used by byte-level BPE: printable Latin-1
 * bytes map to themselves, the other 68 to U+0100 onwards.
 */
export function bytesToUnicode(): string[] {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(keep(b) ? b : 256 + extra++);
  return table;
}

/** GPT-2's pre-tokenisation pattern (the one the ByteLevel pre-tokenizer applies with `use_regex`). */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const BYTE_CHARS = bytesToUnicode();
const encoder = new TextEncoder();

/** Split text as the ByteLevel pre-tokenizer does and map each piece's UTF-8 bytes to symbols. */
export function byteLevelPieces(text: string): string[] {
  return (text.match(GPT2_SPLIT) ?? []).map((p) => Array.from(encoder.encode(p), (b) => BYTE_CHARS[b]).join(''));
}

/** The 256 byte symbols in byte order. */
export function byteAlphabet(): string[] {
  return [...BYTE_CHARS];
}
