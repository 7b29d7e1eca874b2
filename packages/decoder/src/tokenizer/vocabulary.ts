import { DecoderError } from '../errors.js';

/** Token ids are int32 in tfjs: an id must lie in [0, 2³¹). */
export const MAX_TOKEN_ID = 2 ** 31 - 1;

type Json = Record<string, unknown>;

/** Every (token, id) of a tokenizer.json model's vocabulary (Unigram: the id is the index). */
function modelEntries(model: Json, file: string): [string, unknown][] {
  const v = model.vocab;
  if (Array.isArray(v)) {
    return v.map((e, i) => {
      const piece = Array.isArray(e) ? e[0] : undefined;
      DecoderError.check(typeof piece === 'string', 'TOKENIZER', () => `vocabulary entry ${i} must be [piece, score], got ${JSON.stringify(e)?.slice(0, 40)}`, { file, path: `model.vocab[${i}]` });
      return [piece, i];
    });
  }
  DecoderError.check(v !== null && typeof v === 'object', 'TOKENIZER', `'model.vocab' must be an object of token → id (or a Unigram list), got ${v === null ? 'null' : typeof v}`, { file, path: 'model.vocab' });
  return Object.entries(v as Json);
}

const validId = (id: unknown): id is number => typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= MAX_TOKEN_ID;

/**
 * Check the vocabulary of a tokenizer.json before the tokenizer library sees it (it would accept
 * and silently misuse the rest): not empty; every id an integer in [0, 2³¹); no id given to two
 * tokens and no token given two ids, across the model's vocabulary and `added_tokens` (an added
 * token may repeat a vocabulary entry with the same id, as HF files do). Errors name the file and
 * the token.
 */
export function validateVocabulary(json: Json, file: string): void {
  const entries = modelEntries(json.model as Json, file);
  DecoderError.check(entries.length > 0, 'TOKENIZER', `the model's vocabulary is empty: every text would encode to no token`, { file, path: 'model.vocab' });
  const byId = new Map<number, string>();
  const byToken = new Map<string, number>();
  const add = (token: string, id: unknown, path: string) => {
    DecoderError.check(validId(id), 'TOKENIZER', () => `token ${JSON.stringify(token)} has id ${JSON.stringify(id)}; ids must be integers in [0, 2^31)`, { file, key: token, path });
    const other = byId.get(id);
    DecoderError.check(other === undefined || other === token, 'TOKENIZER', () => `id ${id} is given to both ${JSON.stringify(other)} and ${JSON.stringify(token)}`, { file, key: token, path });
    const had = byToken.get(token);
    DecoderError.check(had === undefined || had === id, 'TOKENIZER', () => `token ${JSON.stringify(token)} has two ids, ${had} and ${id}`, { file, key: token, path });
    byId.set(id, token);
    byToken.set(token, id);
  };
  for (const [token, id] of entries) add(token, id, 'model.vocab');
  const added = json.added_tokens ?? [];
  DecoderError.check(Array.isArray(added), 'TOKENIZER', `'added_tokens' must be a list`, { file, path: 'added_tokens' });
  added.forEach((t: unknown, i: number) => {
    const content = t && typeof t === 'object' ? (t as Json).content : undefined;
    DecoderError.check(typeof content === 'string' && content.length > 0, 'TOKENIZER', () => `added_tokens[${i}].content must be a non-empty string, got ${JSON.stringify(content)}`, { file, path: `added_tokens[${i}].content` });
    add(content, (t as Json).id, `added_tokens[${i}].id`);
  });
}
