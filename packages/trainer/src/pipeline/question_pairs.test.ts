import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { QUESTION_TYPES, type QuestionType, type SceneFacts } from '@healthgpt/vl-health';
import { syntheticData } from './parts.js';
import { questionPairSamples, QUESTION_PAIRS_SUBTASK } from './question_pairs.js';
import { TrainerError } from '../errors.js';

describe('questionPairSamples', () => {
  const data = syntheticData('tiny', 40, 0);
  const trainImages = new Set(data.train.filter((s) => s.task === 'comprehension').map((s) => s.images[0]));
  const heldOutImages = new Set(data.heldOut.map((s) => s.images[0]));
  const answerOf = (s: { conversations: { value: string }[] }) => s.conversations[1].value;

  it('asks each type both ways about every training image, and about no held-out image', () => {
    const pairs = questionPairSamples(data.train, ['modality', 'organ', 'plane'], 0);
    expect(new Set(pairs.map((s) => s.images[0]))).toEqual(trainImages);
    expect(pairs.filter((s) => heldOutImages.has(s.images[0]))).toEqual([]);
    for (const image of trainImages) {
      const mine = pairs.filter((s) => s.images[0] === image);
      for (const t of ['modality', 'organ', 'plane']) expect(mine.filter((s) => s.metadata.questionType === t).map(answerOf).sort()).toEqual(['no', 'yes']);
    }
    for (const s of pairs) {
      expect(s).toMatchObject({ task: 'comprehension', subtask: QUESTION_PAIRS_SUBTASK, metadata: { answerType: 'CLOSED' } });
      expect(s.conversations[0].value.startsWith('<image>\n')).toBe(true);
    }
    expect(new Set(pairs.map((s) => s.id)).size).toBe(pairs.length);
  });

  it("answers from the image's scene: the organ named is the scene's exactly when the answer is yes", () => {
    const pairs = questionPairSamples(data.train, ['organ', 'modality'], 1);
    for (const s of pairs) {
      const facts = s.metadata.scene as SceneFacts;
      const q = s.conversations[0].value;
      if (s.metadata.questionType === 'organ') expect(q.includes(`the ${facts.organ}?`), q).toBe(answerOf(s) === 'yes');
      else expect(answerOf(s) === 'yes', q).toBe({ CT: /a CT scan/, 'MRI-T1': /T1-weighted/, 'MRI-T2': /T2-weighted/, 'X-ray': /an X-ray/ }[facts.modality].test(q));
    }
  });

  it('balances yes and no for every question type asked, whatever the types and seed', () => {
    fc.assert(
      fc.property(fc.subarray([...QUESTION_TYPES], { minLength: 1 }), fc.nat(1000), (types: QuestionType[], seed) => {
        const pairs = questionPairSamples(data.train, types, seed);
        for (const s of pairs) expect(types).toContain(s.metadata.questionType);
        for (const t of types) {
          const answers = pairs.filter((s) => s.metadata.questionType === t).map(answerOf);
          expect(answers.filter((a) => a === 'yes').length).toBe(answers.filter((a) => a === 'no').length);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('makes nothing without types, and refuses an unknown type by name', () => {
    expect(questionPairSamples(data.train, [], 0)).toEqual([]);
    expect(() => questionPairSamples(data.train, ['colour' as QuestionType], 0)).toThrow(TrainerError);
    expect(() => questionPairSamples(data.train, ['colour' as QuestionType], 0)).toThrow(/unknown question type 'colour'/);
  });
});
