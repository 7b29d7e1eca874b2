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
  // Each answerer's exact match per sample, once: every row and question type below reads these.
  const answerers: [string, (i: number) => string][] = [['model', (i) => preds[i]], ...baselines.map(([name, b]): [string, (i: number) => string] => [name, (i) => b(samples[i])])];
  const correct = answerers.map(([, a]) => samples.map((s, i) => exactMatch(a(i), reference(s)) === 1));
  const [ours, ...theirs] = correct;
  const rows: ComprehensionRow[] = [];
  const types = [...new Set(samples.map(answerType))].sort();
  for (const t of [...types, ...(types.length > 1 ? ['ALL'] : [])]) {
    const idx = samples.map((s, i) => i).filter((i) => t === 'ALL' || answerType(samples[i]) === t);
    const score = (k: number) => {
      const r: { accuracy: number; recall?: number } = { accuracy: meanOf(idx.map((i) => Number(correct[k][i]))) };
      if (t !== 'CLOSED') r.recall = meanOf(idx.map((i) => tokenRecall(answerers[k][1](i), reference(samples[i]))));
      return r;
    };
    const paired = Object.fromEntries(baselines.map(([name], k) => [name, pairedComparison(idx.map((i) => ours[i]), idx.map((i) => theirs[k][i]))]));
    const byType = questionTypeScores(idx, samples, ours, baselines.map(([name], k) => [name, theirs[k]]));
    rows.push({ subtask, answerType: t, n: idx.length, ...score(0), baselines: Object.fromEntries(baselines.map(([name], k) => [name, score(k + 1)])), ...(baselines.length ? { paired } : {}), ...(byType ? { byQuestionType: byType } : {}) });
  }
  return rows;
}

/** A sample's question type: `questionType` (`question_type`), or VQA-RAD's `questionTypes` joined (e.g. `PRES,POS`); null when none. */
const questionType = (s: Sample) => {
  const list = s.metadata.questionTypes;
  const t = s.metadata.questionType ?? s.metadata.question_type ?? (Array.isArray(list) && list.length ? list.join(',') : undefined);
  return t === undefined || t === null || t === '' ? null : String(t);
};

/** Accuracy of the model and each baseline per question type over the samples `idx`, from their per-sample exact matches (null when none names its type). */
function questionTypeScores(idx: number[], samples: Sample[], ours: boolean[], theirs: [string, boolean[]][]): Record<string, QuestionTypeScores> | null {
  const groups = new Map<string, number[]>();
  for (const i of idx) {
    const t = questionType(samples[i]) ?? 'other';
    groups.set(t, [...(groups.get(t) ?? []), i]);
  }
  if (!idx.some((i) => questionType(samples[i]) !== null)) return null;
  const out: Record<string, QuestionTypeScores> = {};
  for (const [t, js] of groups) {
    const model = js.map((i) => ours[i]);
    const base = theirs.map(([name, r]) => [name, js.map((i) => r[i])] as const);
    out[t] = {
      n: js.length,
      accuracy: meanOf(model.map(Number)),
      baselines: Object.fromEntries(base.map(([name, r]) => [name, meanOf(r.map(Number))])),
      ...(theirs.length ? { paired: Object.fromEntries(base.map(([name, r]) => [name, pairedComparison(model, r)])) } : {}),
    };
  }
  return out;
}
