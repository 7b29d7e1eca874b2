import { IGNORE_INDEX } from '@healthgpt/tensor-core';
import { chatTemplate, tokenizeWithImages, IMAGE_TOKEN_INDEX, type ChatTemplate, type ChatTemplateName, type TextTokenizer } from '@healthgpt/decoder';
import { ModelError } from '../errors.js';

/** One turn: text, or (an assistant's image answer) token ids. */
export interface Turn {
  role: 'user' | 'assistant';
  content: string | readonly number[];
}

/** A run of the conversation, as text or ids, supervised (assistant replies) or not. */
export interface Segment {
  text?: string;
  ids?: readonly number[];
  supervised: boolean;
}

/**
 * The conversation in the template, cut where supervision starts and stops: the system text,
 * every user turn and every role tag are unsupervised; each assistant reply and the separator
 * that ends it are supervised. Consecutive unsupervised text is one segment, so a prompt is
 * tokenised as one string (as the reference does). With `generationPrompt` the text ends with the
 * assistant's role tag (the last turn must be the user's).
 */
export function conversationSegments(template: ChatTemplateName | ChatTemplate, turns: readonly Turn[], { generationPrompt = false, system }: { generationPrompt?: boolean; system?: string } = {}): Segment[] {
  const t = chatTemplate(template);
  ModelError.check(turns.length > 0, 'ARGUMENT', `a conversation needs at least one turn`);
  const out: Segment[] = [];
  const plain = (text: string) => {
    const last = out[out.length - 1];
    if (last && !last.supervised && last.text !== undefined) last.text += text;
    else out.push({ text, supervised: false });
  };
  plain(t.systemTag + (system ?? t.system) + t.sep);
  turns.forEach((turn, i) => {
    const want = i % 2 === 0 ? 'user' : 'assistant';
    ModelError.check(turn.role === want, 'ARGUMENT', () => `turn ${i} must be the ${want}'s (turns alternate, user first), got the ${turn.role}'s`, { path: `conversations[${i}]` });
    if (turn.role === 'user') {
      ModelError.check(typeof turn.content === 'string', 'ARGUMENT', `turn ${i}: a user turn must be text`, { path: `conversations[${i}]` });
      plain(t.roles.user + turn.content + t.sep);
      return;
    }
    plain(t.roles.assistant);
    out.push(typeof turn.content === 'string' ? { text: turn.content + t.sep, supervised: true } : { ids: turn.content, supervised: true }, ...(typeof turn.content === 'string' ? [] : [{ text: t.sep, supervised: true }]));
  });
  if (generationPrompt) {
    ModelError.check(turns[turns.length - 1].role === 'user', 'ARGUMENT', `a generation prompt must end with the user's turn`);
    plain(t.roles.assistant);
  }
  return out;
}

/**
 * Segments → ids (−200 at each `<image>`) and labels (the ids of supervised segments, −100
 * elsewhere). Each text segment is tokenised on its own; a BOS only where the tokenizer adds one
 * to the first.
 */
export function encodeSegments(tokenizer: TextTokenizer, segments: readonly Segment[]): { ids: number[]; labels: number[] } {
  const ids: number[] = [];
  const labels: number[] = [];
  const bos = tokenizer.bosTokenId;
  segments.forEach((s, i) => {
    let piece: number[];
    if (s.ids) piece = [...s.ids];
    else {
      piece = tokenizeWithImages(tokenizer, s.text ?? '');
      if (i > 0 && bos !== null && piece[0] === bos) piece = piece.slice(1);
    }
    ModelError.check(!(s.supervised && piece.includes(IMAGE_TOKEN_INDEX)), 'ARGUMENT', `an assistant reply may not contain <image>`);
    ids.push(...piece);
    labels.push(...(s.supervised ? piece : piece.map(() => IGNORE_INDEX)));
  });
  return { ids, labels };
}
