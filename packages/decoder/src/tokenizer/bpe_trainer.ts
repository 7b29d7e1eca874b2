import { DecoderError } from '../errors.js';
import { byteAlphabet, byteLevelPieces } from './byte_level.js';
import { HFTokenizer } from './tokenizer.js';

export interface TrainBpeOptions {
  /** Final vocabulary size, special tokens and the 256 byte symbols included. */
  vocabSize: number;
  /** Special tokens, given the first ids in order (e.g. `['<|endoftext|>', '<pad>']`). */
  specialTokens?: string[];
  /** Which special tokens play these roles (written to tokenizer_config.json). */
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  /** Prepend `bosToken` when encoding with special tokens (default false, as GPT-2 / Qwen). */
  addBosToken?: boolean;
  /** Ignore pairs seen fewer times than this (default 2). */
  minFrequency?: number;
}

/** Symbol sequences of the distinct pre-tokenised words, with counts. */
function countWords(corpus: Iterable<string>): { words: string[][]; counts: number[] } {
  const freq = new Map<string, number>();
  for (const text of corpus) for (const p of byteLevelPieces(text)) freq.set(p, (freq.get(p) ?? 0) + 1);
  const words: string[][] = [];
  const counts: number[] = [];
  for (const [w, c] of freq) {
    words.push(Array.from(w));
    counts.push(c);
  }
  return { words, counts };
}

const SEP = '\u0000';

/**
 * Learn merges: repeatedly join the most frequent adjacent pair (ties: the smaller pair string),
 * updating only the words that contain it.
 */
function learnMerges(words: string[][], counts: number[], nMerges: number, minFrequency: number): [string, string][] {
  const pairCount = new Map<string, number>();
  const where = new Map<string, Set<number>>();
  const add = (w: number, sign: number) => {
    const s = words[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const k = s[i] + SEP + s[i + 1];
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * counts[w]);
      if (sign > 0) (where.get(k) ?? where.set(k, new Set()).get(k)!).add(w);
    }
  };
  words.forEach((_, w) => add(w, 1));
  const merges: [string, string][] = [];
  while (merges.length < nMerges) {
    let best: string | null = null;
    let bestCount = 0;
    for (const [k, c] of pairCount) if (c > bestCount || (c === bestCount && best !== null && c > 0 && k < best)) [best, bestCount] = [k, c];
    if (best === null || bestCount < minFrequency) break;
    const [a, b] = best.split(SEP);
    merges.push([a, b]);
    for (const w of where.get(best) ?? []) {
      add(w, -1);
      const s = words[w];
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(s[i]);
      }
      words[w] = out;
      add(w, 1);
    }
    pairCount.delete(best);
    where.delete(best);
  }
  return merges;
}

/**
 * Train a byte-level BPE tokenizer (GPT-2 style: ByteLevel pre-tokenizer and decoder, no unknown
 * token) on `corpus`, and return it as an `HFTokenizer` built from the tokenizer.json it writes,
 * so the same library that loads pretrained tokenizers encodes with it.
 */
export function trainByteLevelBpe(corpus: Iterable<string>, o: TrainBpeOptions): HFTokenizer {
  const specials = [...new Set(o.specialTokens ?? [])];
  const base = specials.length + 256;
  DecoderError.check(Number.isInteger(o.vocabSize) && o.vocabSize >= base, 'TOKENIZER', `'vocabSize' passed to 'trainByteLevelBpe' must be an integer ≥ ${base} (specials + 256 bytes), got ${o.vocabSize}`);
  for (const [k, v] of [['bosToken', o.bosToken], ['eosToken', o.eosToken], ['padToken', o.padToken]] as const)
    DecoderError.check(v === undefined || specials.includes(v), 'TOKENIZER', `'${k}' passed to 'trainByteLevelBpe' must be one of 'specialTokens', got '${v}'`);
  DecoderError.check(!o.addBosToken || o.bosToken !== undefined, 'TOKENIZER', `'addBosToken' passed to 'trainByteLevelBpe' needs 'bosToken'`);
  const { words, counts } = countWords(corpus);
  const merges = learnMerges(words, counts, o.vocabSize - base, o.minFrequency ?? 2);
  if (merges.length < o.vocabSize - base)
    throw new DecoderError('TOKENIZER', `trainByteLevelBpe: the corpus yields only ${base + merges.length} tokens (${merges.length} merges); vocabSize ${o.vocabSize} needs a larger corpus or a smaller size`);
  const vocab: Record<string, number> = {};
  specials.forEach((t, i) => (vocab[t] = i));
  byteAlphabet().forEach((c, i) => (vocab[c] = specials.length + i));
  merges.forEach(([a, b], i) => (vocab[a + b] = base + i));
  const added = specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const bos = o.bosToken;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: o.addBosToken
      ? { type: 'TemplateProcessing', single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }], special_tokens: { [bos!]: { id: bos, ids: [vocab[bos!]], tokens: [bos] } } }
      : { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
  const config: Record<string, unknown> = { clean_up_tokenization_spaces: false, model_max_length: 1e30 };
  if (o.bosToken) config.bos_token = o.bosToken;
  if (o.eosToken) config.eos_token = o.eosToken;
  if (o.padToken) config.pad_token = o.padToken;
  return new HFTokenizer(json, config, 'trainByteLevelBpe');
}
