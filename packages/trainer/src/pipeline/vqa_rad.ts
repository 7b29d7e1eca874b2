import { join } from 'node:path';
import type { RawImage } from '@healthgpt/tensor-core';
import { savePretrained, type HealthGPT, type HealthGPTPresetName } from '@healthgpt/model';
import { readVqaRad, splitByImage, loadImage, type Sample, type VqaRadDataset } from '@healthgpt/vl-health';
import { Trainer, type StageResult } from '../loop/trainer.js';
import type { ProgressSink } from '../loop/progress.js';
import type { StepRecord } from '../loop/log.js';
import { encodeSamples, bySubtask, type ImageResolver } from '../healthgpt/data.js';
import { healthGPTTasks } from '../healthgpt/task.js';
import { paperStages, type PaperStageOptions } from '../healthgpt/stages.js';
import { evaluate, type EvalReport } from '../eval/evaluate.js';
import { runStage0, type Stage0Budget, type Stage0Result } from './stage0.js';
import { assembleModel } from './parts.js';
import { exportHealthGPT } from './demo.js';

export interface VqaRadBudget {
  stage0: Stage0Budget;
  stages: { alignment: number; fusion: number; instruction: number; batchSize: number; lrScale: number };
}

/** The `vqa-rad` preset's budget: comprehension only (no VQ tokenizer), stage 0 on VQA-RAD's own text and images. */
export const VQA_RAD_BUDGET: VqaRadBudget = {
  stage0: { decoder: { steps: 300, batchSize: 16, lr: 3e-3, seqLen: 64 }, vision: { steps: 200, batchSize: 32, lr: 1e-3 }, vq: { steps: 0, batchSize: 1, lr: 0 } },
  stages: { alignment: 100, fusion: 100, instruction: 400, batchSize: 8, lrScale: 20 },
};

export interface VqaRadOptions {
  /** The VQA-RAD release folder (`VQA_RAD Dataset Public.json`, `VQA_RAD Image Folder/`). */
  dataDir: string;
  preset?: HealthGPTPresetName;
  budget?: VqaRadBudget;
  /** Share of the images (with all their questions) held out for validation (default 0.15). */
  validation?: number;
  seed?: number;
  outDir?: string;
  progress?: 'auto' | false | ProgressSink;
  onStep?: (r: StepRecord) => void;
  onPhase?: (phase: string) => void;
}

/** The preset's split of a release: its official training records by image into train and validation; the official test records apart. */
export interface VqaRadSplit {
  train: Sample[];
  validation: Sample[];
  /** The release's test questions (`phrase_type` test_*): never trained on nor validated on. */
  test: Sample[];
}

/**
 * Split a VQA-RAD release as the `vqa-rad` preset does: only the official training records
 * (`phrase_type` freeform / para), by image, `validation` of the images (with all their questions)
 * held out; the official test records stay apart, whatever the images they share.
 */
export function vqaRadSplit(ds: Pick<VqaRadDataset, 'split'>, { validation = 0.15, seed = 0 }: { validation?: number; seed?: number } = {}): VqaRadSplit {
  const parts = splitByImage(ds.split.train, { fractions: { train: 1 - validation, validation }, seed, stratum: () => 'vqa' });
  return { train: parts.train ?? [], validation: parts.validation ?? [], test: ds.split.test };
}

export interface VqaRadReport {
  /** `test`: the official test questions found in the release, left out of training and validation. */
  settings: { preset: HealthGPTPresetName; seed: number; budget: VqaRadBudget; train: number; validation: number; test: number; trainImages: number; validationImages: number };
  stage0: Stage0Result['report'];
  stages: StageResult[];
  evaluation: EvalReport;
  /** Closed / open / all accuracy on the validation split with the majority-answer and question-only baselines (learned from the train split) beside. */
  accuracy: { closed: number; open: number; all: number; majority: { closed: number; open: number; all: number }; questionOnly: { closed: number; open: number; all: number } };
  timings: Record<string, number>;
  /** The samples of each part (`validation` is what `evaluation` scored) and the images they name. */
  split: VqaRadSplit;
  images: ImageResolver;
  model: HealthGPT;
  /** `<outDir>/model`, the trained model's folder (when the run has an `outDir`). */
  modelDir?: string;
}

/** Per image, its questions and answers as one text: the contrastive stage's caption stand-in (VQA-RAD has no captions). */
function qaCaptions(samples: readonly Sample[]): { image: string; text: string }[] {
  const by = new Map<string, string[]>();
  for (const s of samples) by.set(s.images[0], [...(by.get(s.images[0]) ?? []), `${s.conversations[0].value.replace('<image>', '').trim()} ${String(s.conversations[1].value)}`]);
  return [...by].map(([image, qa]) => ({ image, text: qa.slice(0, 8).join(' ') }));
}

/**
 * The `vqa-rad` training preset: VQA-RAD's official training questions split by image into train
 * and validation (`vqaRadSplit`; the official test questions, when the release has them, are never
 * used: `healthgpt eval --split test` evaluates them), stage 0 from scratch on them (tokenizer and decoder on the questions and answers,
 * the vision tower contrastively on each image against its questions and answers, a linear probe
 * of the organ), stages 1–3 on the comprehension task, and validation accuracy (closed / open /
 * all) beside the question-only baseline.
 */
export async function runVqaRad(o: VqaRadOptions): Promise<VqaRadReport> {
  const t0 = performance.now();
  const { preset = 'tiny', seed = 0, budget = VQA_RAD_BUDGET, validation = 0.15 } = o;
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    timings[name] = (performance.now() - mark) / 1000;
    mark = performance.now();
    o.onPhase?.(name);
  };
  const ds = await readVqaRad(o.dataDir);
  const split = vqaRadSplit(ds, { validation, seed });
  const cache = new Map<string, Promise<RawImage>>();
  const images: ImageResolver = (p) => {
    if (!cache.has(p)) cache.set(p, loadImage(o.dataDir, p, { mode: 'rgb' }));
    return cache.get(p)!;
  };
  phase('data');
  const s0 = await runStage0({
    preset,
    train: split.train,
    heldOut: split.validation,
    images,
    budget: budget.stage0,
    seed,
    outDir: o.outDir,
    progress: o.progress,
    onStep: o.onStep,
    captions: qaCaptions,
    probeLabels: (s) => (typeof s.metadata.organ === 'string' ? { organ: s.metadata.organ } : null),
  });
  phase('stage0');
  const model = assembleModel(s0, preset, { seed });
  try {
    const groups = bySubtask(await encodeSamples(model, split.train, images));
    phase('encode');
    const so: PaperStageOptions = { steps: budget.stages, batchSize: budget.stages.batchSize, lrScale: budget.stages.lrScale, available: [...groups.keys()], seed, data: { alignmentComprehension: ['vqa'] } };
    const run = await new Trainer({ model, tasks: healthGPTTasks(model, groups), outDir: o.outDir ? join(o.outDir, 'stages') : undefined, progress: o.progress ?? 'auto', onStep: o.onStep, exportModel: exportHealthGPT }).run(paperStages(model, so));
    const modelDir = o.outDir ? join(o.outDir, 'model') : undefined;
    if (modelDir) await savePretrained(model, modelDir);
    phase('stages');
    const evaluation = await evaluate(model, split.validation, { images, train: split.train, maxNewTokens: 16 });
    phase('evaluate');
    const acc = (t: string, b?: string) => {
      const r = evaluation.comprehension.find((x) => x.answerType === t);
      return (b ? r?.baselines[b]?.accuracy : r?.accuracy) ?? NaN;
    };
    timings.total = (performance.now() - t0) / 1000;
    return {
      settings: { preset, seed, budget, train: split.train.length, validation: split.validation.length, test: split.test.length, trainImages: new Set(split.train.map((s) => s.images[0])).size, validationImages: new Set(split.validation.map((s) => s.images[0])).size },
      stage0: s0.report,
      stages: run.stages,
      evaluation,
      accuracy: { closed: acc('CLOSED'), open: acc('OPEN'), all: acc('ALL'), majority: { closed: acc('CLOSED', 'majority'), open: acc('OPEN', 'majority'), all: acc('ALL', 'majority') }, questionOnly: { closed: acc('CLOSED', 'questionOnly'), open: acc('OPEN', 'questionOnly'), all: acc('ALL', 'questionOnly') } },
      timings,
      split,
      images,
      model,
      modelDir,
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
