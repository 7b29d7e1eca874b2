import type { Generator } from '@healthgpt/tensor-core/base';
import type { ConversationTurn } from '../schema.js';
import { MODALITIES, ORGANS, type Modality, type Scene } from './scene.js';

/** Question types of the synthetic VQA. */
export const QUESTION_TYPES = ['modality', 'organ', 'plane', 'presence', 'side', 'count', 'size'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export interface Qa {
  type: QuestionType;
  answerType: 'CLOSED' | 'OPEN';
  question: string;
  answer: string;
}

const MODALITY_NAME: Record<Modality, string> = { CT: 'CT', 'MRI-T1': 'MRI T1', 'MRI-T2': 'MRI T2', 'X-ray': 'X-ray' };
const MODALITY_PHRASE: Record<Modality, string> = { CT: 'a CT scan', 'MRI-T1': 'a T1-weighted MRI', 'MRI-T2': 'a T2-weighted MRI', 'X-ray': 'an X-ray' };
const NUM = ['no', 'one', 'two', 'three'];

/**
 * Keeps closed (yes/no) answers balanced per question type: each closed question is asked in the
 * polarity whose answer has been given less often so far, so no answer exceeds half (plus one).
 */
export class YesNoBalancer {
  private yes = new Map<string, number>();
  private no = new Map<string, number>();
  /** Should the next question of `type` be phrased so that its answer is "yes"? */
  wantYes(type: string, rng: Generator): boolean {
    const y = this.yes.get(type) ?? 0;
    const n = this.no.get(type) ?? 0;
    return y === n ? rng.random() < 0.5 : y < n;
  }
  record(type: string, answer: string): void {
    const m = answer === 'yes' ? this.yes : this.no;
    m.set(type, (m.get(type) ?? 0) + 1);
  }
}

const lesionWord = (n: number) => (n === 1 ? 'lesion' : 'lesions');

/** A closed (yes/no) question of `type` about the scene, phrased to give `yes` when `wantYes`. Null when it does not apply. */
export function closedQuestion(type: QuestionType, s: Scene, wantYes: boolean, rng: Generator): Qa | null {
  const n = s.lesions.length;
  const qa = (question: string, answer: boolean): Qa => ({ type, answerType: 'CLOSED', question, answer: answer ? 'yes' : 'no' });
  switch (type) {
    case 'modality': {
      const m = wantYes ? s.modality : rng.pick(MODALITIES.filter((x) => x !== s.modality));
      return qa(`Is this ${MODALITY_PHRASE[m]}?`, m === s.modality);
    }
    case 'organ': {
      const o = wantYes ? s.organ : rng.pick(ORGANS.filter((x) => x !== s.organ));
      return qa(`Is this an image of the ${o}?`, o === s.organ);
    }
    case 'plane': {
      const p = wantYes ? s.plane : s.plane === 'axial' ? 'coronal' : 'axial';
      return qa(s.modality === 'X-ray' ? `Is this a ${p === 'coronal' ? 'frontal (coronal)' : 'axial'} view?` : `Is this an ${p} image?`.replace('an coronal', 'a coronal'), p === s.plane);
    }
    case 'presence':
      return (n > 0) === wantYes ? qa('Is there a lesion in this image?', n > 0) : qa('Is this image free of lesions?', n === 0);
    case 'side': {
      if (!n) return null;
      const side = wantYes ? s.side! : s.side === 'left' ? 'right' : 'left';
      return qa(`Is the ${lesionWord(n)} on the patient's ${side} side?`, side === s.side);
    }
    case 'count': {
      if (!n) return null;
      const k = wantYes ? n : rng.pick([1, 2, 3].filter((x) => x !== n));
      return qa(k === 1 ? 'Is there exactly one lesion?' : `Are there ${NUM[k]} lesions?`, k === n);
    }
    case 'size': {
      if (!n) return null;
      const size = wantYes ? s.size! : s.size === 'small' ? 'large' : 'small';
      return qa(`Is the ${lesionWord(n)} ${size}?`, size === s.size);
    }
  }
}

/** The scene facts a sample's `metadata.scene` holds (what `closedQuestion` asks about). */
export interface SceneFacts {
  modality: Modality;
  organ: Scene['organ'];
  plane: Scene['plane'];
  lesionCount: number;
  side: Scene['side'];
  size: Scene['size'];
}

/**
 * Every closed question type that applies to a scene with these facts, asked once phrased for
 * "yes" and once for "no" (the "no" form's alternative drawn from `rng`), in `QUESTION_TYPES`
 * order: the same phrasings the synthetic set's closed questions use.
 */
export function closedQuestionPairs(facts: SceneFacts, rng: Generator): Qa[] {
  const scene = { modality: facts.modality, organ: facts.organ, plane: facts.plane, side: facts.side, size: facts.size, lesions: Array.from({ length: facts.lesionCount }) } as unknown as Scene;
  const out: Qa[] = [];
  for (const t of QUESTION_TYPES)
    for (const yes of [true, false]) {
      const q = closedQuestion(t, scene, yes, rng);
      if (q) out.push(q);
    }
  return out;
}

/** An open question of `type` about the scene; null when it does not apply. */
export function openQuestion(type: QuestionType, s: Scene): Qa | null {
  const n = s.lesions.length;
  const qa = (question: string, answer: string): Qa => ({ type, answerType: 'OPEN', question, answer });
  switch (type) {
    case 'modality':
      return qa('What imaging modality was used?', MODALITY_NAME[s.modality]);
    case 'organ':
      return qa('Which part of the body is shown?', s.organ);
    case 'plane':
      return qa('In which plane is this image?', s.plane);
    case 'presence':
      return qa('What abnormality is seen?', n ? (n === 1 ? 'a lesion' : `${NUM[n]} lesions`) : 'none');
    case 'side':
      return n ? qa(`On which side of the patient is the ${lesionWord(n)}?`, s.side!) : null;
    case 'count':
      return qa('How many lesions are there?', String(n));
    case 'size':
      return n ? qa(`How large is the ${lesionWord(n)}?`, s.size!) : null;
  }
}

/** One-sentence caption: "Axial CT image of the head with two small lesions on the patient's left." */
export function caption(s: Scene): string {
  const plane = s.modality === 'X-ray' ? 'Frontal' : s.plane[0].toUpperCase() + s.plane.slice(1);
  const n = s.lesions.length;
  const finding = n ? ` with ${NUM[n]} ${s.size} ${lesionWord(n)} on the patient's ${s.side}` : ' without lesions';
  return `${plane} ${MODALITY_NAME[s.modality]} image of the ${s.organ}${finding}.`;
}

/** A short structured report. */
export function report(s: Scene): string {
  const n = s.lesions.length;
  const technique = `Technique: ${s.modality === 'X-ray' ? 'frontal' : s.plane} ${MODALITY_NAME[s.modality]} of the ${s.organ}.`;
  if (!n) return `${technique} Findings: no focal lesion. Impression: normal study.`;
  const where = { head: 'brain', chest: 'lung', abdomen: 'abdomen' }[s.organ];
  return `${technique} Findings: ${NUM[n]} ${s.size} ${lesionWord(n)} in the ${s.side} ${where}. Impression: ${n === 1 ? 'a' : NUM[n]} ${s.side}-sided ${lesionWord(n)}.`;
}

/** The conversation of a VQA sample. */
export function vqaTurns(q: Qa): ConversationTurn[] {
  return [
    { from: 'human', value: `<image>\n${q.question}` },
    { from: 'gpt', value: q.answer },
  ];
}
