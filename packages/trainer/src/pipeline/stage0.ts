import { join } from 'node:path';
import type { Module } from '@healthgpt/tensor-core';
import { DecoderLM, type HFTokenizer } from '@healthgpt/decoder';
import type { CLIPVisionModel } from '@healthgpt/vision-encoder';
import type { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { healthGPTPreset, type HealthGPTPresetName } from '@healthgpt/model';
import type { Sample } from '@healthgpt/vl-health';
import { Trainer, type StageResult, type TrainerOptions } from '../loop/trainer.js';
import type { ProgressSink } from '../loop/progress.js';
import type { StepRecord } from '../loop/log.js';
import { trainTokenizer, sampleDocuments } from '../stage0/tokenizer.js';
import { packDocuments, languageModelTask, perplexity } from '../stage0/lm.js';
import { sceneQuestions, describedQuestionTask, describedAccuracy } from '../stage0/scene_documents.js';
import { trainStage0Vision } from '../stage0/vision_stage.js';
import { trainStage0Vq, stage0VqImages } from '../stage0/vq_stage.js';
import type { ImageResolver } from '../healthgpt/data.js';

/** Step budgets and batch sizes of stage 0's four parts. */
export interface Stage0Budget {
  /**
   * `questionSteps` (default 0): after the language model, steps that mix it half and half with
   * `describedQuestionTask` (each training scene's closed questions answered with its description
   * in context, loss on the answer), so the decoder learns in text the comparison stage 3 asks of
   * it with the image (the language model keeps it from forgetting the rest of the text).
   */
  decoder: { steps: number; batchSize: number; lr: number; seqLen: number; questionSteps?: number };
  vision: { steps: number; batchSize: number; lr: number };
  vq: { steps: number; batchSize: number; lr: number };
}

/** What a run tells its caller: progress, each step, each stage's start and end, each model before it trains. */
export interface RunHooks {
  progress?: 'auto' | false | ProgressSink;
  onStep?: (r: StepRecord) => void;
  /** Passed to every stage's trainer (stage 0's parts, and stages 1–3 in a pipeline). */
  onStageStart?: TrainerOptions['onStageStart'];
  onStageEnd?: TrainerOptions['onStageEnd'];
  /** Given each model a phase trains, before it trains (stage 0's decoder, contrastive model and VQ tokenizer; then HealthGPT). */
  onModel?: (model: Module) => void;
}

export interface Stage0Options extends RunHooks {
  preset: HealthGPTPresetName;
  train: readonly Sample[];
  /** Held-out samples: perplexity and the linear probe are measured on them. */
  heldOut: readonly Sample[];
  images: ImageResolver;
  budget: Stage0Budget;
  seed?: number;
  /** Run folder (each part logs and checkpoints under `stage0-<part>/`). */
  outDir?: string;
  /** Image–text pairs of the contrastive stage (default: each image's caption or report). */
  captions?: (samples: readonly Sample[]) => { image: string; text: string }[];
  /** Labels of the linear probe per sample (default `sceneLabels`: every attribute the synthetic closed questions ask about). */
  probeLabels?: (s: Sample) => Record<string, string> | null;
}

/** What stage 0 made and the evidence that each part learned something. */
export interface Stage0Result {
  tokenizer: HFTokenizer;
  decoder: DecoderLM;
  visionTower: CLIPVisionModel;
  vq: VQTokenizer | null;
  report: {
    tokenizer: { vocabSize: number; trainingTexts: number };
    /** `described`: closed-question accuracy with held-out scenes described in text (`describedAccuracy`), before and after. */
    decoder: { perplexityBefore: number; perplexityAfter: number; described: { before: number; after: number; n: number; byType: Record<string, number> }; stage: StageResult; questionStage?: StageResult };
    /** Linear-probe accuracy per label (e.g. modality, organ, plane, count, side, size) of the tower before (random) and after pretraining. */
    vision: { probe: { random: Record<string, number>; pretrained: Record<string, number> }; stage: StageResult };
    /** Null when the budget trains no VQ tokenizer (comprehension-only runs). */
    vq: { psnr: number; ssim: number; perplexity: number; usedCodes: number; codebookSize: number; stage: StageResult } | null;
    seconds: { tokenizer: number; decoder: number; vision: number; vq: number };
  };
}

/**
 * The synthetic scene's attributes that its closed questions ask about: modality, organ, plane,
 * lesion count, and the lesions' side and size (`none` without lesions).
 */
export const sceneLabels = (s: Sample): Record<string, string> | null => {
  const scene = s.metadata.scene as { modality?: string; organ?: string; plane?: string; lesionCount?: number; side?: string | null; size?: string | null } | undefined;
  if (!scene?.modality || !scene.organ || !scene.plane || scene.lesionCount === undefined) return null;
  return { modality: scene.modality, organ: scene.organ, plane: scene.plane, count: String(scene.lesionCount), side: scene.side ?? 'none', size: scene.size ?? 'none' };
};

/** Each image's caption or report (synthetic set). */
export function defaultCaptions(samples: readonly Sample[]): { image: string; text: string }[] {
  return captionPairs(samples).map((s) => ({ image: s.images[0], text: s.conversations[s.conversations.length - 1].value }));
}
/**
 * The probe's images and labels: each distinct image of a single-image comprehension sample (the
 * images questions are asked about), with its labels (samples `labelsOf` gives none are left
 * out). Generation inputs are not probed: a super-resolution input is a downsampled copy, a
 * modality-conversion input is rendered in another modality than the scene's label, a denoising
 * input is noisier — their labels would not describe what the image shows.
 */
export function probeLabelSet(samples: readonly Sample[], labelsOf: (s: Sample) => Record<string, string> | null): Map<string, Record<string, string>> {
  const uniq = new Map<string, Record<string, string>>();
  for (const s of samples) {
    const l = s.task === 'comprehension' && s.images.length === 1 ? labelsOf(s) : null;
    if (l) uniq.set(s.images[0], l);
  }
  return uniq;
}
const now = () => performance.now() / 1000;

/** One sample per distinct input image among comprehension samples with a text answer (captions and reports first). */
function captionPairs(samples: readonly Sample[]): Sample[] {
  const seen = new Set<string>();
  const out: Sample[] = [];
  const order = [...samples].sort((a, b) => Number(b.subtask === 'caption' || b.subtask === 'report') - Number(a.subtask === 'caption' || a.subtask === 'report'));
  for (const s of order)
    if (s.task === 'comprehension' && (s.subtask === 'caption' || s.subtask === 'report') && s.images.length === 1 && !seen.has(s.images[0])) {
      seen.add(s.images[0]);
      out.push(s);
    }
  return out;
}

/**
 * Stage 0 from scratch (no pretrained weights can be downloaded here), every part on the one loop:
 * 1. a byte-level BPE tokenizer on the training text;
 * 2. the decoder pretrained on that text (causal LM on packed documents), held-out perplexity before and after;
 * 3. the vision tower pretrained CLIP-style on image–caption pairs with a small text tower, with a
 *    linear probe on held-out images, for the tower before and after, of every scene attribute the
 *    closed questions ask about (modality, organ, plane, lesion count, side, size);
 * 4. the VQ tokenizer on the training images (`vqRecipe`), PSNR on the held-out images.
 */
export async function runStage0(o: Stage0Options): Promise<Stage0Result> {
  const { seed = 0, budget } = o;
  const spec = healthGPTPreset(o.preset);
  const run = (part: string) => ({ outDir: o.outDir ? join(o.outDir, `stage0-${part}`) : undefined, progress: o.progress ?? 'auto', onStep: o.onStep, onStageStart: o.onStageStart, onStageEnd: o.onStageEnd });
  const seconds = { tokenizer: 0, decoder: 0, vision: 0, vq: 0 };

  let t = now();
  const docs = sampleDocuments(o.train);
  const tokenizer = trainTokenizer(docs, { vocabSize: spec.image_tokens?.first_id ?? 1024, template: spec.template });
  seconds.tokenizer = now() - t;

  t = now();
  const decoder = new DecoderLM({ ...spec.text_config, vocab_size: tokenizer.length, bos_token_id: tokenizer.bosTokenId, eos_token_id: tokenizer.eosTokenId, pad_token_id: tokenizer.padTokenId ?? tokenizer.eosTokenId }, { seed });
  const rows = packDocuments(tokenizer, docs, budget.decoder.seqLen);
  const heldRows = packDocuments(tokenizer, sampleDocuments(o.heldOut), budget.decoder.seqLen);
  const heldScenes = sceneQuestions(o.heldOut, seed + 1);
  const described = () => (heldScenes.length ? describedAccuracy(decoder, tokenizer, spec.template, heldScenes) : { accuracy: NaN, n: 0, byType: {} });
  const pplBefore = perplexity(decoder, heldRows);
  const describedBefore = described().accuracy;
  o.onModel?.(decoder);
  const questionSteps = budget.decoder.questionSteps ?? 0;
  const lmSpec = { trainable: ['**'], lr: budget.decoder.lr, weightDecay: 0.01, batchSize: budget.decoder.batchSize, clipNorm: 1, schedule: { kind: 'cosine', warmupRatio: 0.05, floor: 0.1 }, seed } as const;
  const lm = await new Trainer({
    model: decoder,
    tasks: [languageModelTask(decoder, rows), ...(questionSteps > 0 ? [describedQuestionTask(decoder, tokenizer, spec.template, sceneQuestions(o.train, seed))] : [])],
    ...run('decoder'),
  }).run([
    { ...lmSpec, name: 'stage0-decoder', mixture: { text: 1 }, length: { steps: budget.decoder.steps } },
    ...(questionSteps > 0 ? [{ ...lmSpec, name: 'stage0-decoder-questions', mixture: { text: 1, 'described-questions': 1 }, length: { steps: questionSteps } }] : []),
  ]);
  const pplAfter = perplexity(decoder, heldRows);
  const describedAfter = described();
  const describedReport = { before: describedBefore, after: describedAfter.accuracy, n: describedAfter.n, byType: describedAfter.byType };
  seconds.decoder = now() - t;

  t = now();
  const probeSet = (samples: readonly Sample[]) => probeLabelSet(samples, o.probeLabels ?? sceneLabels);
  const { tower, probe, stage: visionStage } = await trainStage0Vision({
    config: spec.vision_config,
    tokenizer,
    captions: (o.captions ?? defaultCaptions)(o.train),
    probe: { train: probeSet(o.train), heldOut: probeSet(o.heldOut) },
    images: o.images,
    budget: budget.vision,
    seed,
    trainer: run('vision'),
    onModel: o.onModel,
  });
  const { random, pretrained } = probe;
  seconds.vision = now() - t;

  if (budget.vq.steps === 0 || !spec.vq_config)
    return { tokenizer, decoder, visionTower: tower, vq: null, report: { tokenizer: { vocabSize: tokenizer.length, trainingTexts: docs.length }, decoder: { perplexityBefore: pplBefore, perplexityAfter: pplAfter, described: describedReport, stage: lm.stages[0], ...(lm.stages[1] ? { questionStage: lm.stages[1] } : {}) }, vision: { probe: { random, pretrained }, stage: visionStage }, vq: null, seconds } };
  t = now();
  const { vq, eval: vqEval, stage: vqStage } = await trainStage0Vq({
    config: spec.vq_config,
    train: await stage0VqImages(o.train, o.images),
    heldOut: await stage0VqImages(o.heldOut, o.images),
    budget: budget.vq,
    seed,
    trainer: run('vq'),
    onModel: o.onModel,
  });
  seconds.vq = now() - t;

  return {
    tokenizer,
    decoder,
    visionTower: tower,
    vq,
    report: {
      tokenizer: { vocabSize: tokenizer.length, trainingTexts: docs.length },
      decoder: { perplexityBefore: pplBefore, perplexityAfter: pplAfter, described: describedReport, stage: lm.stages[0], ...(lm.stages[1] ? { questionStage: lm.stages[1] } : {}) },
      vision: { probe: { random, pretrained }, stage: visionStage },
      vq: { psnr: vqEval.psnr, ssim: vqEval.ssim, perplexity: vqEval.perplexity, usedCodes: vqEval.usedCodes, codebookSize: vqEval.codebookSize, stage: vqStage },
      seconds,
    },
  };
}
