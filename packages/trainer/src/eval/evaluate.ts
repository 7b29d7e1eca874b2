import type { RawImage } from '@healthgpt/tensor-core';
import type { HealthGPT } from '@healthgpt/model';
import { IMAGE_PLACEHOLDER } from '@healthgpt/decoder';
import type { Sample } from '@healthgpt/vl-health';
import type { ImageResolver } from '../healthgpt/data.js';
import { corpusBleu, normalizeAnswer, rougeL } from './text_metrics.js';
import { imageScores, type ImageScores } from './image_metrics.js';
import { majorityAnswers, questionOnlyAnswers, type AnswerBaseline } from './baselines.js';
import { answerType, meanOf, reference, vqaRows } from './vqa_rows.js';

export interface EvaluateOptions {
  /** Decodes the samples' images. */
  images: ImageResolver;
  /** Training samples: the baselines are learned from them (none: baselines are left out). */
  train?: readonly Sample[];
  /** New tokens per answer (default 48). */
  maxNewTokens?: number;
  /** Requests per batch (default 8). */
  batchSize?: number;
  /** Examples kept per kind for a report (default 6). */
  examples?: number;
}

/** One row of the comprehension table: a subtask and answer type (`ALL` for every question of a VQA subtask). */
export interface ComprehensionRow {
  subtask: string;
  answerType: string;
  n: number;
  /** VQA: exact match after normalisation (closed: the yes/no accuracy). */
  accuracy?: number;
  /** VQA open questions: mean token recall. */
  recall?: number;
  /** Captions and reports: corpus BLEU-4 and mean ROUGE-L. */
  bleu4?: number;
  rougeL?: number;
  /** The same metric for each baseline (majority answer; question-only best answer). */
  baselines: Record<string, { accuracy?: number; recall?: number; bleu4?: number; rougeL?: number }>;
  /**
   * VQA: the model against each baseline question by question (exact match): questions only the
   * model gets right (`wins`), only the baseline (`losses`), and the one-sided sign test's p-value
   * (`signTestPValue`): how likely a lead this large is when neither is better.
   */
  paired?: Record<string, { wins: number; losses: number; pValue: number }>;
  /**
   * VQA rows: the same comparison per question type (`metadata.questionType`, e.g. the synthetic
   * set's modality, organ, plane, presence, side, count, size), in the order first seen; absent
   * when the samples name no question type. Shows which kinds of question the model answers from
   * the image and which it answers as the question text alone would.
   */
  byQuestionType?: Record<string, QuestionTypeScores>;
}

/** One question type's scores within a VQA row: exact-match accuracy of the model and of each baseline, and the paired comparison. */
export interface QuestionTypeScores {
  n: number;
  accuracy: number;
  baselines: Record<string, number>;
  paired?: Record<string, { wins: number; losses: number; pValue: number }>;
}

/** One row of the generation table: the model's mean scores and the identity baseline's (output = input). */
export interface GenerationRow {
  subtask: string;
  n: number;
  model: ImageScores;
  identity: ImageScores;
}

export interface ComprehensionExample {
  id: string;
  subtask: string;
  question: string;
  reference: string;
  prediction: string;
}

export interface GenerationExample {
  id: string;
  subtask: string;
  instruction: string;
  input: RawImage;
  target: RawImage;
  output: RawImage;
  scores: ImageScores;
}

export interface EvalReport {
  comprehension: ComprehensionRow[];
  generation: GenerationRow[];
  examples: { comprehension: ComprehensionExample[]; generation: GenerationExample[] };
  seconds: number;
}

const question = (s: Sample) => s.conversations[0].value.split(IMAGE_PLACEHOLDER).join('').trim();

function textRow(subtask: string, samples: Sample[], preds: string[], baselines: [string, AnswerBaseline][]): ComprehensionRow {
  const score = (p: (i: number) => string) => ({
    bleu4: corpusBleu(samples.map((_, i) => p(i)), samples.map((s) => [reference(s)])),
    rougeL: meanOf(samples.map((s, i) => rougeL(p(i), reference(s)))),
  });
  return { subtask, answerType: 'TEXT', n: samples.length, ...score((i) => preds[i]), baselines: Object.fromEntries(baselines.map(([name, b]) => [name, score((i) => b(samples[i]))])) };
}

/**
 * Evaluate a model on held-out samples: comprehension answers generated greedily and scored per
 * subtask and answer type (VQA: closed accuracy, open exact match and token recall; captions and
 * reports: BLEU-4, ROUGE-L), generation outputs scored by SSIM / PSNR / MSE at the VQ resolution,
 * each beside its baselines (majority answer and question-only best answer learned from `train`;
 * identity: the input image itself, upsampled bilinearly where sizes differ).
 */
export async function evaluate(model: HealthGPT, samples: readonly Sample[], o: EvaluateOptions): Promise<EvalReport> {
  const t0 = performance.now();
  const { maxNewTokens = 48, batchSize = 8, examples = 6 } = o;
  const bySub = new Map<string, Sample[]>();
  for (const s of samples) bySub.set(s.subtask ?? s.task, [...(bySub.get(s.subtask ?? s.task) ?? []), s]);
  const report: EvalReport = { comprehension: [], generation: [], examples: { comprehension: [], generation: [] }, seconds: 0 };
  const size = model.vq?.config.ddconfig.resolution ?? model.config.vision.image_size;
  for (const [subtask, list] of bySub) {
    const output = model.task(list[0].task).output;
    if (output === 'text') {
      const preds: string[] = [];
      for (let i = 0; i < list.length; i += batchSize) {
        const chunk = list.slice(i, i + batchSize);
        const reqs = await Promise.all(chunk.map(async (s) => ({ images: await Promise.all(s.images.map((p) => o.images(p))), question: question(s) })));
        preds.push(...model.comprehendBatch(reqs, { task: chunk[0].task, maxNewTokens }).map((r) => r.text));
      }
      const train = (o.train ?? []).filter((s) => (s.subtask ?? s.task) === subtask);
      const baselines: [string, AnswerBaseline][] = train.length ? [['majority', majorityAnswers(train, answerType)], ['questionOnly', questionOnlyAnswers(train, answerType)]] : [];
      const isVqa = list.some((s) => s.metadata.answerType !== undefined || s.metadata.answer_type !== undefined) || subtask === 'vqa';
      if (isVqa) report.comprehension.push(...vqaRows(subtask, list, preds, baselines));
      else report.comprehension.push(textRow(subtask, list, preds, baselines));
      list.slice(0, examples).forEach((s, i) => report.examples.comprehension.push({ id: s.id, subtask, question: question(s), reference: reference(s), prediction: preds[i] }));
    } else {
      const ours: ImageScores[] = [];
      const ident: ImageScores[] = [];
      for (let i = 0; i < list.length; i += batchSize) {
        const chunk = list.slice(i, i + batchSize);
        const inputs = await Promise.all(chunk.map((s) => Promise.all(s.images.map((p) => o.images(p)))));
        const targets = await Promise.all(chunk.map((s) => o.images(s.targetImage!)));
        const gen = model.generateImages(chunk.map((s, k) => ({ image: inputs[k], instruction: question(s) })), { task: chunk[0].task });
        gen.forEach((g, k) => {
          const out = g.image!;
          const sc = imageScores(out, targets[k], size);
          ours.push(sc);
          ident.push(imageScores(inputs[k][0], targets[k], size));
          const s = chunk[k];
          if (report.examples.generation.filter((e) => e.subtask === subtask).length < examples)
            report.examples.generation.push({ id: s.id, subtask, instruction: question(s), input: inputs[k][0], target: targets[k], output: out, scores: sc });
        });
      }
      const avg = (xs: ImageScores[]): ImageScores => ({ ssim: meanOf(xs.map((x) => x.ssim)), psnr: meanOf(xs.map((x) => x.psnr)), mse: meanOf(xs.map((x) => x.mse)) });
      report.generation.push({ subtask, n: list.length, model: avg(ours), identity: avg(ident) });
    }
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

export { normalizeAnswer };
