import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Sample } from '@healthgpt/vl-health';
import { vqaRows } from './vqa_rows.js';
import { pairedComparison } from './significance.js';

const sample = (i: number, questionType: string | undefined, answerType: string, answer: string): Sample => ({
  id: `q${i}`,
  task: 'comprehension',
  subtask: 'vqa',
  images: ['a.png'],
  conversations: [
    { from: 'human', value: `<image>\nquestion ${i}?` },
    { from: 'gpt', value: answer },
  ],
  metadata: { answerType, ...(questionType === undefined ? {} : { questionType }) },
});

describe('VQA rows per question type', () => {
  it('scores each question type of each answer type (hand-worked)', () => {
    const samples = [sample(0, 'organ', 'CLOSED', 'yes'), sample(1, 'organ', 'CLOSED', 'no'), sample(2, 'side', 'CLOSED', 'yes'), sample(3, 'organ', 'OPEN', 'head')];
    const preds = ['yes', 'no', 'no', 'chest'];
    const [closed, open, all] = vqaRows('vqa', samples, preds, [['questionOnly', () => 'yes']]);
    expect(closed.answerType).toBe('CLOSED');
    expect(closed.byQuestionType).toEqual({
      organ: { n: 2, accuracy: 1, baselines: { questionOnly: 0.5 }, paired: { questionOnly: pairedComparison([true, true], [true, false]) } },
      side: { n: 1, accuracy: 0, baselines: { questionOnly: 1 }, paired: { questionOnly: pairedComparison([false], [true]) } },
    });
    expect(open.byQuestionType).toEqual({ organ: { n: 1, accuracy: 0, baselines: { questionOnly: 0 }, paired: { questionOnly: { wins: 0, losses: 0, pValue: 1 } } } });
    expect(Object.keys(all.byQuestionType!)).toEqual(['organ', 'side']);
    expect(all.byQuestionType!.organ.n).toBe(3);
  });

  it('leaves the breakdown out when no sample names a question type, and has no paired test without baselines', () => {
    const samples = [sample(0, undefined, 'CLOSED', 'yes'), sample(1, undefined, 'CLOSED', 'no')];
    expect(vqaRows('vqa', samples, ['yes', 'yes'], [['majority', () => 'no']])[0].byQuestionType).toBeUndefined();
    const typed = vqaRows('vqa', [sample(0, 'plane', 'CLOSED', 'yes'), sample(1, undefined, 'CLOSED', 'no')], ['yes', 'yes'], [])[0];
    expect(typed.byQuestionType).toEqual({ plane: { n: 1, accuracy: 1, baselines: {} }, other: { n: 1, accuracy: 0, baselines: {} } });
  });

  it('groups VQA-RAD questions by their list of question types', () => {
    const rad = (i: number, types: string[], answer: string): Sample => ({ ...sample(i, undefined, 'CLOSED', answer), metadata: { answerType: 'CLOSED', questionTypes: types } });
    const [row] = vqaRows('vqa-rad', [rad(0, ['PRES'], 'yes'), rad(1, ['PRES', 'POS'], 'no'), rad(2, ['PRES'], 'no'), rad(3, [], 'yes')], ['yes', 'yes', 'yes', 'no'], []);
    expect(row.byQuestionType).toEqual({ PRES: { n: 2, accuracy: 0.5, baselines: {} }, 'PRES,POS': { n: 1, accuracy: 0, baselines: {} }, other: { n: 1, accuracy: 0, baselines: {} } });
  });

  it('the question types add up to their row: counts, right answers, wins and losses', () => {
    const item = fc.record({ type: fc.constantFrom('modality', 'organ', 'side', 'count'), closed: fc.boolean(), answer: fc.constantFrom('yes', 'no'), pred: fc.constantFrom('yes', 'no', 'maybe'), base: fc.constantFrom('yes', 'no') });
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 60 }), (items) => {
        const samples = items.map((x, i) => sample(i, x.type, x.closed ? 'CLOSED' : 'OPEN', x.answer));
        const base = new Map(samples.map((s, i) => [s.id, items[i].base]));
        const rows = vqaRows('vqa', samples, items.map((x) => x.pred), [['questionOnly', (s) => base.get(s.id)!]]);
        for (const row of rows) {
          const parts = Object.values(row.byQuestionType!);
          // accuracies are shares of whole questions: compare counts, rounded from n · accuracy
          const count = (n: number, acc: number) => Math.round(n * acc);
          expect(parts.reduce((a, t) => a + t.n, 0)).toBe(row.n);
          expect(parts.reduce((a, t) => a + count(t.n, t.accuracy), 0)).toBe(count(row.n, row.accuracy!));
          expect(parts.reduce((a, t) => a + count(t.n, t.baselines.questionOnly), 0)).toBe(count(row.n, row.baselines.questionOnly.accuracy!));
          expect(parts.reduce((a, t) => a + t.paired!.questionOnly.wins, 0)).toBe(row.paired!.questionOnly.wins);
          expect(parts.reduce((a, t) => a + t.paired!.questionOnly.losses, 0)).toBe(row.paired!.questionOnly.losses);
        }
      }),
    );
  });
});
