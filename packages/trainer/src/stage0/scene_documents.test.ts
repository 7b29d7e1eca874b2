import { describe, it, expect } from 'vitest';
import { DecoderLM } from '@healthgpt/decoder';
import { healthGPTPreset } from '@healthgpt/model';
import { expectNoLeaks } from '@healthgpt/testing';
import { syntheticData } from '../pipeline/parts.js';
import { sceneLabels } from '../pipeline/stage0.js';
import { sceneQuestions, sceneQuestionDocuments, describedQuestion, describedAccuracy, describedQuestionTask } from './scene_documents.js';
import { trainTokenizer, sampleDocuments } from './tokenizer.js';

const MODALITY_PHRASE: Record<string, string> = { CT: 'a CT scan', 'MRI-T1': 'a T1-weighted MRI', 'MRI-T2': 'a T2-weighted MRI', 'X-ray': 'an X-ray' };
const NUM: Record<string, number> = { one: 1, two: 2, three: 3 };

/** The answer a closed question of the synthetic set has for a scene with labels `l` (null: a phrasing this check does not know). */
function expectedAnswer(q: string, l: Record<string, string>): boolean | null {
  const n = Number(l.count);
  let m: RegExpExecArray | null;
  if ((m = /^Is this an image of the (\w+)\?$/.exec(q))) return m[1] === l.organ;
  if ((m = /^Is this (a CT scan|a T1-weighted MRI|a T2-weighted MRI|an X-ray)\?$/.exec(q))) return MODALITY_PHRASE[l.modality] === m[1];
  if ((m = /^Is this an? (axial|coronal) image\?$/.exec(q))) return m[1] === l.plane;
  if (q === 'Is this a frontal (coronal) view?') return l.plane === 'coronal';
  if (q === 'Is this a axial view?') return l.plane === 'axial';
  if (q === 'Is there a lesion in this image?') return n > 0;
  if (q === 'Is this image free of lesions?') return n === 0;
  if ((m = /^Is the lesions? on the patient's (left|right) side\?$/.exec(q))) return m[1] === l.side;
  if (q === 'Is there exactly one lesion?') return n === 1;
  if ((m = /^Are there (two|three) lesions\?$/.exec(q))) return NUM[m[1]] === n;
  if ((m = /^Is the lesions? (small|large)\?$/.exec(q))) return m[1] === l.size;
  return null;
}

describe('per-scene closed-question documents', () => {
  const data = syntheticData('tiny', 40, 0);
  const template = healthGPTPreset('tiny').template;
  const scenes = sceneQuestions(data.train, 0);
  const labels = new Map(data.train.map((s) => [String(s.metadata.group), sceneLabels(s)!]));

  it('has one entry per training scene, described by its own caption or report', () => {
    const groups = new Set(data.train.filter((s) => s.subtask === 'caption' || s.subtask === 'report').map((s) => String(s.metadata.group)));
    expect(scenes.map((s) => s.scene).sort()).toEqual([...groups].sort());
    for (const s of scenes) {
      const own = data.train.find((x) => x.metadata.group === s.scene && (x.subtask === 'caption' || x.subtask === 'report'))!;
      expect(s.description).toBe(own.conversations[1].value);
    }
  });

  it('answers every question as the scene’s facts do, with each applicable type asked for yes and for no', () => {
    let checked = 0;
    for (const s of scenes) {
      const l = labels.get(s.scene)!;
      for (const q of s.questions) {
        const want = expectedAnswer(q.question, l);
        expect(want, q.question).not.toBeNull();
        expect(q.answer, `${s.description} / ${q.question}`).toBe(want ? 'yes' : 'no');
        checked++;
      }
      const types = Number(l.count) > 0 ? ['modality', 'organ', 'plane', 'presence', 'side', 'count', 'size'] : ['modality', 'organ', 'plane', 'presence'];
      expect(s.questions.map((q) => `${q.type}:${q.answer}`).sort()).toEqual(types.flatMap((t) => [`${t}:no`, `${t}:yes`]).sort());
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('writes each question in the chat template, the description in the image’s place, the answer last', () => {
    const docs = sceneQuestionDocuments(data.train, template, 0);
    expect(docs).toHaveLength(scenes.reduce((n, s) => n + s.questions.length, 0));
    const s = scenes[0];
    const q = s.questions[0];
    const { prompt, answer } = describedQuestion(template, s.description, q);
    expect(docs[0]).toBe(prompt + answer);
    expect(prompt).toContain(`<|user|>\n${s.description}\n${q.question}<|end|>`);
    expect(prompt.endsWith('<|assistant|>\n')).toBe(true);
    expect(answer).toBe(`${q.answer}<|end|>`);
  });

  it('is the same for the same seed and leaves held-out scenes out', () => {
    expect(sceneQuestions(data.train, 3)).toEqual(sceneQuestions(data.train, 3));
    const held = new Set(data.heldOut.map((s) => String(s.metadata.group)));
    expect(scenes.some((s) => held.has(s.scene))).toBe(false);
  });

  it('trains on the answer alone: the labels hold the answer and its end tag, padding is unsupervised', async () => {
    const tokenizer = trainTokenizer(sampleDocuments(data.train), { vocabSize: 300, template });
    const spec = healthGPTPreset('tiny').text_config;
    const decoder = new DecoderLM({ ...spec, num_hidden_layers: 1, vocab_size: tokenizer.length, bos_token_id: tokenizer.bosTokenId, eos_token_id: tokenizer.eosTokenId, pad_token_id: tokenizer.eosTokenId }, { seed: 0 });
    const task = describedQuestionTask(decoder, tokenizer, template, scenes.slice(0, 3));
    expect(task.items).toHaveLength(scenes.slice(0, 3).reduce((n, s) => n + s.questions.length, 0));
    const questions = scenes.slice(0, 3).flatMap((s) => s.questions);
    task.items.forEach((it, i) => {
      expect(it.labels).toHaveLength(it.ids.length);
      expect(tokenizer.decode(it.labels.filter((l) => l >= 0))).toBe(`${questions[i].answer}<|end|>`);
      expect(tokenizer.decode(it.ids)).toBe(sceneQuestionDocuments(data.train, template, 0)[i]);
    });
    const batch = task.collate(task.items.slice(0, 5) as never[]);
    const len = Math.max(...task.items.slice(0, 5).map((x) => x.ids.length));
    expect(batch.every((b) => b.ids.length === len && b.labels.length === len)).toBe(true);
    expect(batch.flatMap((b) => b.labels.filter((l) => l >= 0)).length).toBe(task.items.slice(0, 5).reduce((n, x) => n + x.labels.filter((l) => l >= 0).length, 0));
    const ctx = { stage: 's', step: 0, micro: 0 };
    await expectNoLeaks(() => {
      const loss = task.loss(batch, ctx) as import('@healthgpt/tensor-core').Tensor;
      const v = loss.dataSync()[0];
      loss.dispose();
      expect(Number.isFinite(v) && v > 0).toBe(true);
    }, { what: 'describedQuestionTask loss' });
    decoder.dispose();
  });

  it('measures the described accuracy in [0, 1] over at most `limit` questions, without leaks', async () => {
    const tokenizer = trainTokenizer(sampleDocuments(data.train), { vocabSize: 300, template });
    const spec = healthGPTPreset('tiny').text_config;
    const decoder = new DecoderLM({ ...spec, num_hidden_layers: 1, vocab_size: tokenizer.length, bos_token_id: tokenizer.bosTokenId, eos_token_id: tokenizer.eosTokenId, pad_token_id: tokenizer.eosTokenId }, { seed: 0 });
    const held = sceneQuestions(data.heldOut, 1);
    const r = describedAccuracy(decoder, tokenizer, template, held, 12);
    expect(r.n).toBe(12);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
    await expectNoLeaks(() => void describedAccuracy(decoder, tokenizer, template, held, 6), { what: 'describedAccuracy' });
    decoder.dispose();
  });
});
