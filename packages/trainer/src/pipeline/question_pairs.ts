import { Generator } from '@healthgpt/tensor-core';
import { closedQuestionPairs, vqaTurns, QUESTION_TYPES, type QuestionType, type Sample, type SceneFacts } from '@healthgpt/vl-health';
import { TrainerError } from '../errors.js';

/** The subtask of `questionPairSamples`' samples, as stage mixtures name it. */
export const QUESTION_PAIRS_SUBTASK = 'vqa-pairs';

/**
 * Closed questions asked both ways about each training image: for every image of `samples` whose
 * scene facts are known (`metadata.scene`, as the synthetic set writes them), each question type of
 * `types` once phrased for "yes" and once for "no" (vl-health's `closedQuestionPairs`), as
 * comprehension samples of subtask `vqa-pairs` on that image.
 *
 * Why: the synthetic set asks one closed question per image, and its phrasings lean towards one
 * answer, so a small model trained on it learns the answer from the question's words and never
 * looks at the image (its answers do not change when the image is swapped). In a pair the
 * question's words predict nothing; only the image tells "yes" from "no". The pairs come from the
 * training images alone, so held-out images stay unseen.
 */
export function questionPairSamples(samples: readonly Sample[], types: readonly QuestionType[], seed = 0): Sample[] {
  for (const t of types) TrainerError.check((QUESTION_TYPES as readonly string[]).includes(t), 'ARGUMENT', () => `'questionPairs' names an unknown question type '${t}' (types: ${QUESTION_TYPES.join(', ')})`, { key: 'questionPairs' });
  const rng = new Generator(seed);
  const seen = new Set<string>();
  const out: Sample[] = [];
  for (const s of samples) {
    const facts = s.metadata.scene as SceneFacts | undefined;
    const image = s.images[0];
    if (s.task !== 'comprehension' || s.images.length !== 1 || !facts?.modality || seen.has(image)) continue;
    seen.add(image);
    const group = String(s.metadata.group ?? image);
    for (const [i, q] of closedQuestionPairs(facts, rng).entries()) {
      if (!types.includes(q.type)) continue;
      out.push({
        id: `${group}-pair-${i}`,
        task: 'comprehension',
        subtask: QUESTION_PAIRS_SUBTASK,
        images: [image],
        conversations: vqaTurns(q),
        metadata: { source: s.metadata.source, group, scene: facts, questionType: q.type, answerType: q.answerType },
      });
    }
  }
  return out;
}
