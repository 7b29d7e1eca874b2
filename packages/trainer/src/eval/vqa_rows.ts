import type { Sample } from '@healthgpt/vl-health';
import { exactMatch, tokenRecall } from './text_metrics.js';
import type { AnswerBaseline } from './baselines.js';
import { pairedComparison } from './significance.js';
import type { ComprehensionRow, QuestionTypeScores } from './evaluate.js';

/** A sample's reference answer (its last turn). */
export const reference = (s: Sample): string => s.conversations[s.conversations.length - 1].value;
/** A sample's answer type, upper case (`OPEN` when it names none). */
export const answerType = (s: Sample): string => String(s.metadata.answerType ?? s.metadata.answer_type ?? 'OPEN').trim().toUpperCase();
/** The mean (NaN for none). */
export const meanOf = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/**
 * The rows of a VQA subtask: one per answer type (and `ALL` when there are several), each with
 * the model's exact-match accuracy (open: token recall too), each baseline's, the paired sign
 * test against each baseline, and the same per question type (`byQuestionType`).
 */
export function vqaRows(subtask: string, samples: Sample[], preds: string[], baselines: [string, AnswerBaseline][]): ComprehensionRow[] {
  const rows: ComprehensionRow[] = [];
  const types = [...new Set(samples.map(answerType))].sort();
  for (const t of [...types, ...(types.length > 1 ? ['ALL'] : [])]) {
    const idx = samples.map((s, i) => i).filter((i) => t === 'ALL' || answerType(samples[i]) === t);
    const right = (p: (i: number) => string) => idx.map((i) => exactMatch(p(i), reference(samples[i])) === 1);
    const score = (p: (i: number) => string) => {
      const r: { accuracy: number; recall?: number } = { accuracy: meanOf(right(p).map(Number)) };
      if (t !== 'CLOSED') r.recall = meanOf(idx.map((i) => tokenRecall(p(i), reference(samples[i]))));
      return r;
    };
    const ours = right((i) => preds[i]);
    const paired = Object.fromEntries(baselines.map(([name, b]) => [name, pairedComparison(ours, right((i) => b(samples[i])))]));
    const byType = questionTypeScores(idx, samples, preds, baselines);
    rows.push({ subtask, answerType: t, n: idx.length, ...score((i) => preds[i]), baselines: Object.fromEntries(baselines.map(([name, b]) => [name, score((i) => b(samples[i]))])), ...(baselines.length ? { paired } : {}), ...(byType ? { byQuestionType: byType } : {}) });
  }
  return rows;
}

/** A sample's question type: `questionType` (`question_type`), or VQA-RAD's `questionTypes` joined (e.g. `PRES,POS`); null when none. */
const questionType = (s: Sample) => {
  const list = s.metadata.questionTypes;
  const t = s.metadata.questionType ?? s.metadata.question_type ?? (Array.isArray(list) && list.length ? list.join(',') : undefined);
  return t === undefined || t === null || t === '' ? null : String(t);
};

/** Accuracy of the model and each baseline per question type over the samples `idx` (null when none names its type). */
function questionTypeScores(idx: number[], samples: Sample[], preds: string[], baselines: [string, AnswerBaseline][]): Record<string, QuestionTypeScores> | null {
  const groups = new Map<string, number[]>();
  for (const i of idx) {
    const t = questionType(samples[i]) ?? 'other';
    groups.set(t, [...(groups.get(t) ?? []), i]);
  }
  if (!idx.some((i) => questionType(samples[i]) !== null)) return null;
  const out: Record<string, QuestionTypeScores> = {};
  for (const [t, js] of groups) {
    const right = (p: (i: number) => string) => js.map((i) => exactMatch(p(i), reference(samples[i])) === 1);
    const ours = right((i) => preds[i]);
    const theirs = baselines.map(([name, b]) => [name, right((i) => b(samples[i]))] as const);
    out[t] = {
      n: js.length,
      accuracy: meanOf(ours.map(Number)),
      baselines: Object.fromEntries(theirs.map(([name, r]) => [name, meanOf(r.map(Number))])),
      ...(baselines.length ? { paired: Object.fromEntries(theirs.map(([name, r]) => [name, pairedComparison(ours, r)])) } : {}),
    };
  }
  return out;
}

