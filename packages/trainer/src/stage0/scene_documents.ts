import { tf, Generator, IGNORE_INDEX } from '@healthgpt/tensor-core';
import { padBatch, type ChatTemplateName, type DecoderLM, type TextTokenizer } from '@healthgpt/decoder';
import { conversationSegments } from '@healthgpt/model';
import { closedQuestionPairs, type Qa, type Sample, type SceneFacts } from '@healthgpt/vl-health';
import { TrainerError } from '../errors.js';
import type { Task } from '../loop/task.js';

/** One scene's description (its caption or report) and the closed questions asked about it. */
export interface SceneQuestions {
  scene: string;
  description: string;
  questions: Qa[];
}

const isDescription = (s: Sample) => s.task === 'comprehension' && (s.subtask === 'caption' || s.subtask === 'report') && s.images.length === 1;

/**
 * The synthetic scenes among `samples` that have a caption or report: each with every closed
 * question type that applies to it, asked once for "yes" and once for "no" (vl-health's
 * `closedQuestionPairs`, answered from the scene's facts in `metadata.scene`).
 */
export function sceneQuestions(samples: readonly Sample[], seed = 0): SceneQuestions[] {
  const rng = new Generator(seed);
  const out: SceneQuestions[] = [];
  const seen = new Set<string>();
  for (const s of samples) {
    const facts = s.metadata.scene as SceneFacts | undefined;
    const scene = String(s.metadata.group ?? s.images[0]);
    if (!isDescription(s) || !facts?.modality || seen.has(scene)) continue;
    seen.add(scene);
    out.push({ scene, description: s.conversations[s.conversations.length - 1].value, questions: closedQuestionPairs(facts, rng) });
  }
  return out;
}

/**
 * A closed question in the chat template of stage 3 with the scene's description where the image
 * would be: the prompt (system, user turn, assistant tag) and the answer that follows it.
 */
export function describedQuestion(template: ChatTemplateName, description: string, q: Qa): { prompt: string; answer: string } {
  const segments = conversationSegments(template, [{ role: 'user', content: `${description}\n${q.question}` }, { role: 'assistant', content: q.answer }]);
  const prompt = segments.filter((s) => !s.supervised).map((s) => s.text).join('');
  return { prompt, answer: segments.filter((s) => s.supervised).map((s) => s.text).join('') };
}

/**
 * Documents that teach the decoder, in text, what stage 3 asks of it with an image: answer a
 * closed question by comparing its words with the scene in context. One document per question
 * (see `sceneQuestions`), the scene's description in the place of its image.
 */
export function sceneQuestionDocuments(samples: readonly Sample[], template: ChatTemplateName, seed = 0): string[] {
  return sceneQuestions(samples, seed).flatMap((s) =>
    s.questions.map((q) => {
      const d = describedQuestion(template, s.description, q);
      return d.prompt + d.answer;
    }),
  );
}

/**
 * The decoder's closed-question accuracy with the scene described in text: for each question of
 * `scenes` (at most `limit`), the prompt of `describedQuestion` and whether the answer's first
 * token ("yes" or "no") scores above the other one, in all and per question type. Prompts of one
 * length share a batch.
 */
export function describedAccuracy(decoder: DecoderLM, tokenizer: TextTokenizer, template: ChatTemplateName, scenes: readonly SceneQuestions[], limit = 400): { accuracy: number; n: number; byType: Record<string, number> } {
  const first = (a: string) => tokenizer.encode(a, { addSpecialTokens: false })[0];
  const [yes, no] = [first('yes'), first('no')];
  const items = scenes.flatMap((s) => s.questions.map((q) => ({ ids: tokenizer.encode(describedQuestion(template, s.description, q).prompt, { addSpecialTokens: false }), yes: q.answer === 'yes', type: q.type as string }))).slice(0, limit);
  TrainerError.check(items.length > 0, 'DATA', `no described closed questions to measure`);
  const byLength = new Map<number, typeof items>();
  for (const it of items) byLength.set(it.ids.length, [...(byLength.get(it.ids.length) ?? []), it]);
  let right = 0;
  const perType = new Map<string, [number, number]>();
  for (const group of byLength.values()) {
    const t = tf.tidy(() => {
      const logits = decoder.forward({ inputIds: group.map((g) => g.ids), useCache: false }).logits;
      const last = logits.slice([0, logits.shape[1]! - 1, 0], [-1, 1, -1]).reshape([group.length, -1]);
      return tf.sub(last.gather([yes], 1), last.gather([no], 1));
    });
    const margin = t.dataSync();
    t.dispose();
    group.forEach((g, i) => {
      const ok = Number(margin[i] > 0 === g.yes);
      right += ok;
      const c = perType.get(g.type) ?? [0, 0];
      perType.set(g.type, [c[0] + ok, c[1] + 1]);
    });
  }
  return { accuracy: right / items.length, n: items.length, byType: Object.fromEntries([...perType].map(([t, [r, n]]) => [t, r / n])) };
}

/** A described question as ids, supervised on its answer only. */
export interface DescribedItem {
  ids: number[];
  labels: number[];
}

/**
 * Stage 0's question task: the decoder answers each closed question of `scenes` with the scene's
 * description in context (`describedQuestion`), the loss on the answer alone as in stage 3. Rows
 * of a batch are padded on the right with eos, unsupervised.
 */
export function describedQuestionTask(decoder: DecoderLM, tokenizer: TextTokenizer, template: ChatTemplateName, scenes: readonly SceneQuestions[], name = 'described-questions'): Task<DescribedItem, DescribedItem[]> {
  const eos = tokenizer.eosTokenId;
  TrainerError.check(eos !== null, 'ARGUMENT', `the tokenizer has no eos token to pad with`);
  const enc = (t: string) => tokenizer.encode(t, { addSpecialTokens: false });
  const items = scenes.flatMap((s) =>
    s.questions.map((q) => {
      const d = describedQuestion(template, s.description, q);
      const prompt = enc(d.prompt);
      const answer = enc(d.answer);
      return { ids: [...prompt, ...answer], labels: [...prompt.map(() => IGNORE_INDEX), ...answer] };
    }),
  );
  TrainerError.check(items.length > 0, 'DATA', `no described closed questions to train on`);
  return {
    name,
    items,
    collate: (batch) => {
      const ids = padBatch(batch.map((b) => b.ids), eos).inputIds;
      const labels = padBatch(batch.map((b) => b.labels), IGNORE_INDEX).inputIds;
      return batch.map((_, i) => ({ ids: ids[i], labels: labels[i] }));
    },
    loss: (batch) => {
      const out = decoder.forward({ inputIds: batch.map((b) => b.ids), labels: batch.map((b) => b.labels), useCache: false });
      out.logits.dispose();
      return out.loss!;
    },
    tokens: (batch) => batch.length * batch[0].ids.length,
  };
}
