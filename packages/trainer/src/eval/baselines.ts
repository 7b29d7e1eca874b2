import { IMAGE_PLACEHOLDER } from '@healthgpt/decoder';
import type { Sample } from '@healthgpt/vl-health';
import { normalizeAnswer } from './text_metrics.js';

/** A baseline's answer to a sample (it never looks at the image). */
export type AnswerBaseline = (s: Sample) => string;

const q = (s: Sample) => normalizeAnswer(s.conversations[0].value.split(IMAGE_PLACEHOLDER).join(''));
const a = (s: Sample) => s.conversations[s.conversations.length - 1].value;

/** The most frequent value (ties: the first seen). */
function mode(xs: string[]): string {
  const c = new Map<string, number>();
  let best = xs[0] ?? '';
  for (const x of xs) {
    c.set(x, (c.get(x) ?? 0) + 1);
    if (c.get(x)! > (c.get(best) ?? 0)) best = x;
  }
  return best;
}

/** Majority answer: the training split's most frequent (normalised) answer per answer type. */
export function majorityAnswers(train: readonly Sample[], typeOf: (s: Sample) => string): AnswerBaseline {
  const byType = new Map<string, string[]>();
  for (const s of train) byType.set(typeOf(s), [...(byType.get(typeOf(s)) ?? []), normalizeAnswer(a(s))]);
  const overall = mode(train.map((s) => normalizeAnswer(a(s))));
  const answers = new Map([...byType].map(([t, xs]) => [t, mode(xs)]));
  return (s) => answers.get(typeOf(s)) ?? overall;
}

/**
 * Question-only best answer: for a question seen in training, its most frequent answer there;
 * otherwise the majority answer of its question type (`metadata.questionType`) and answer type;
 * otherwise the majority answer of its answer type. A blind model that knows the data's priors.
 */
export function questionOnlyAnswers(train: readonly Sample[], typeOf: (s: Sample) => string): AnswerBaseline {
  const byQ = new Map<string, string[]>();
  const byQType = new Map<string, string[]>();
  const qtype = (s: Sample) => `${String(s.metadata.questionType ?? s.metadata.question_type ?? '')}|${typeOf(s)}`;
  for (const s of train) {
    byQ.set(q(s), [...(byQ.get(q(s)) ?? []), normalizeAnswer(a(s))]);
    byQType.set(qtype(s), [...(byQType.get(qtype(s)) ?? []), normalizeAnswer(a(s))]);
  }
  const majority = majorityAnswers(train, typeOf);
  const qa = new Map([...byQ].map(([k, xs]) => [k, mode(xs)]));
  const ta = new Map([...byQType].map(([k, xs]) => [k, mode(xs)]));
  return (s) => qa.get(q(s)) ?? ta.get(qtype(s)) ?? majority(s);
}
