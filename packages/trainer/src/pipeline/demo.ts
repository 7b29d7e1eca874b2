import { join } from 'node:path';
import type { FolderWriter, Module } from '@healthgpt/tensor-core';
import { savePretrained, type HealthGPT, type HealthGPTPresetName } from '@healthgpt/model';
import type { Sample } from '@healthgpt/vl-health';
import { syntheticData, assembleModel } from './parts.js';
import { Trainer, type StageResult } from '../loop/trainer.js';
import { encodeSamples, bySubtask } from '../healthgpt/data.js';
import { healthGPTTasks } from '../healthgpt/task.js';
import { paperStages, paperStageData, type PaperStageOptions } from '../healthgpt/stages.js';
import { evaluate, type EvalReport } from '../eval/evaluate.js';
import { demoBar, type DemoBar } from './bar.js';
import { runStage0, type RunHooks, type Stage0Budget, type Stage0Result } from './stage0.js';
import { questionPairSamples } from './question_pairs.js';
import type { QuestionType } from '@healthgpt/vl-health';

/** Step budgets of a whole run: stage 0's parts, stages 1–3, and the data. */
export interface PipelineBudget {
  /** Phantom scenes of the synthetic set (each gives several samples). */
  scenes: number;
  stage0: Stage0Budget;
  /**
   * Stages 1–3: steps (`alignmentGeneration`: the generation alignment's, default `alignment`),
   * batch, lr multiplier, the subtasks of each stage's data where they differ from the paper's, and
   * their mixture weights where they are not 1 (`PaperStageOptions.weights`).
   */
  stages: {
    alignment: number;
    alignmentGeneration?: number;
    fusion: number;
    instruction: number;
    batchSize: number;
    lrScale: number;
    data?: PaperStageOptions['data'];
    weights?: PaperStageOptions['weights'];
    /**
     * Question types asked both ways ("yes" and "no") about every training image, added to the
     * training data as subtask `vqa-pairs` (`questionPairSamples`; default none). Stage 3 trains on
     * them by default; `weights.instruction['vqa-pairs']` sets their share.
     */
    questionPairs?: readonly QuestionType[];
  };
  /** Held-out samples evaluated per subtask (at most). */
  evalPerSubtask: number;
}

/**
 * The closed question types the demo pairs (`questionPairs`): the scene facts the whole picture
 * shows, which the tiny vision tower reads (its probes: organ 0.97–0.98, plane 0.99–1.00,
 * modality 0.78–0.83 on seeds 0 and 1).
 * Lesion count, side and size it reads at chance, so pairs of those would teach guessing, and
 * lesion presence is left to the synthetic set's own questions.
 */
const IMAGE_LEVEL_QUESTIONS: readonly QuestionType[] = ['modality', 'organ', 'plane'];

/** The synthetic set's generation subtasks: the demo aligns the generation plugin on all of them, not on reconstruction alone. */
const GENERATION_SUBTASKS = ['reconstruction', 'super-resolution', 'modality-conversion', 'denoising'];

/**
 * The budgets: `demo` aims at 10 minutes on 2 cores, `quick` at about 1 minute (it writes the
 * report; its few steps are not meant to beat the baselines), `test` seconds (CI). `demo`
 * evaluates every held-out closed question (about 160) so that the verdict's comparison means
 * something; `quick` about 16. `demo` also trains on paired questions about its training images
 * (`questionPairs`, weight 6 in stage 3's mixture, every other subtask 1): without them its model
 * answered from the question's words and did not look at the image (trainer README).
 */
export const PIPELINE_BUDGETS: Record<'demo' | 'quick' | 'test', PipelineBudget> = {
  demo: {
    scenes: 800,
    stage0: { decoder: { steps: 150, batchSize: 16, lr: 3e-3, seqLen: 64 }, vision: { steps: 150, batchSize: 32, lr: 1e-3 }, vq: { steps: 500, batchSize: 8, lr: 3e-3 } },
    stages: { alignment: 60, alignmentGeneration: 300, fusion: 40, instruction: 1400, batchSize: 8, lrScale: 20, data: { alignmentGeneration: GENERATION_SUBTASKS }, weights: { instruction: { 'vqa-pairs': 6 } }, questionPairs: IMAGE_LEVEL_QUESTIONS },
    evalPerSubtask: 320,
  },
  quick: {
    scenes: 160,
    stage0: { decoder: { steps: 30, batchSize: 16, lr: 3e-3, seqLen: 64 }, vision: { steps: 20, batchSize: 32, lr: 1e-3 }, vq: { steps: 20, batchSize: 16, lr: 3e-3 } },
    stages: { alignment: 10, fusion: 10, instruction: 50, batchSize: 8, lrScale: 20 },
    evalPerSubtask: 32,
  },
  test: {
    scenes: 48,
    stage0: { decoder: { steps: 8, batchSize: 8, lr: 3e-3, seqLen: 32 }, vision: { steps: 6, batchSize: 8, lr: 1e-3 }, vq: { steps: 6, batchSize: 4, lr: 2e-3 } },
    stages: { alignment: 4, fusion: 4, instruction: 6, batchSize: 4, lrScale: 20 },
    evalPerSubtask: 3,
  },
};

export interface PipelineOptions extends RunHooks {
  /** A named budget or your own (default `demo`). */
  budget?: keyof typeof PIPELINE_BUDGETS | PipelineBudget;
  /** The model preset (default `tiny`; the synthetic images are rendered at its image size). */
  preset?: HealthGPTPresetName;
  seed?: number;
  /**
   * Run folder (none: kept in memory only): logs and checkpoints of every stage (each stage's final
   * checkpoint of HealthGPT holds the model's folder in `model/`), and the trained model in
   * `<outDir>/model` (`HealthGPT.fromPretrained` loads it).
   */
  outDir?: string;
  /** Told when each phase starts (`data`, `stage0`, `assemble`, `encode`, `stages`, `evaluate`). */
  onPhase?: (phase: string) => void;
}

/** Everything a report of the run needs. The caller disposes `model`. */
export interface PipelineReport {
  /** `train`: the synthetic set's training samples; `subtasks`: the samples trained on per subtask (with `vqa-pairs`, when the budget asks for them). */
  settings: { preset: HealthGPTPresetName; seed: number; budget: PipelineBudget; stages: PaperStageOptions; train: number; heldOut: number; subtasks: Record<string, number> };
  stage0: Stage0Result['report'];
  stages: StageResult[];
  /** Loss per step of every stage (stage 0's parts and stages 1–3), by stage name. */
  lossCurves: Record<string, number[]>;
  evaluation: EvalReport;
  /** The demo's bar (`demoBar`): comprehension above the question-only baseline beyond sampling noise; generation above identity on SSIM. */
  bar: DemoBar;
  /** Wall-clock seconds per phase and in all. */
  timings: Record<string, number>;
  model: HealthGPT;
  /** `<outDir>/model`, the trained model's folder (when the run has an `outDir`). */
  modelDir?: string;
}

/** The trainer's `exportModel` for HealthGPT: the model package's folder layout. */
export const exportHealthGPT = (model: Module, writer: FolderWriter): Promise<void> => savePretrained(model as HealthGPT, writer);

/** The held-out samples evaluated: at most `n` per subtask, in order. */
export function evalSubset(samples: readonly Sample[], n: number): Sample[] {
  const count = new Map<string, number>();
  return samples.filter((s) => {
    const k = s.subtask ?? s.task;
    count.set(k, (count.get(k) ?? 0) + 1);
    return count.get(k)! <= n;
  });
}

/**
 * The whole pipeline on the synthetic set: stage 0 from scratch (tokenizer, decoder, vision
 * tower, VQ tokenizer), assembly, the paper's stages 1–3 on the one loop, and evaluation on
 * held-out samples (split by image) with baselines. What `healthgpt demo` runs.
 */
export async function runPipeline(o: PipelineOptions = {}): Promise<PipelineReport> {
  const t0 = performance.now();
  const { preset = 'tiny', seed = 0 } = o;
  const budget = typeof o.budget === 'object' ? o.budget : PIPELINE_BUDGETS[o.budget ?? 'demo'];
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const t = performance.now();
    timings[name] = (t - mark) / 1000;
    mark = t;
  };
  o.onPhase?.('data');
  const data = syntheticData(preset, budget.scenes, seed);
  const split = { train: data.train, test: data.heldOut };
  const images = data.images;
  // Paired questions about the training images (training only: evaluation and its baselines read the synthetic set's own split).
  const pairs = questionPairSamples(split.train, budget.stages.questionPairs ?? [], seed);
  paperStageData({ data: budget.stages.data, weights: budget.stages.weights, available: [...new Set([...split.train, ...pairs].map((s) => s.subtask ?? s.task))] }); // a bad weight fails now, not after stage 0
  phase('data');

  o.onPhase?.('stage0');
  const s0 = await runStage0({ preset, train: split.train, heldOut: split.test, images, budget: budget.stage0, seed, outDir: o.outDir, progress: o.progress, onStep: o.onStep, onStageStart: o.onStageStart, onStageEnd: o.onStageEnd, onModel: o.onModel });
  phase('stage0');

  o.onPhase?.('assemble');
  const model = assembleModel(s0, preset, { seed });
  try {
    phase('assemble');
    o.onPhase?.('encode');
    const groups = bySubtask(await encodeSamples(model, [...split.train, ...pairs], images));
    phase('encode');

    o.onPhase?.('stages');
    const stageOptions: PaperStageOptions = { steps: budget.stages, batchSize: budget.stages.batchSize, lrScale: budget.stages.lrScale, data: budget.stages.data, weights: budget.stages.weights, available: [...groups.keys()], seed };
    const stages = paperStages(model, stageOptions);
    o.onModel?.(model);
    const run = await new Trainer({ model, tasks: healthGPTTasks(model, groups), outDir: o.outDir ? join(o.outDir, 'stages') : undefined, progress: o.progress ?? 'auto', onStep: o.onStep, onStageStart: o.onStageStart, onStageEnd: o.onStageEnd, exportModel: exportHealthGPT }).run(stages);
    const modelDir = o.outDir ? join(o.outDir, 'model') : undefined;
    if (modelDir) await savePretrained(model, modelDir);
    phase('stages');

    o.onPhase?.('evaluate');
    const evaluation = await evaluate(model, evalSubset(split.test, budget.evalPerSubtask), { images, train: split.train });
    phase('evaluate');

    const curves: Record<string, number[]> = {};
    for (const s of [s0.report.decoder.stage, ...(s0.report.decoder.questionStage ? [s0.report.decoder.questionStage] : []), s0.report.vision.stage, ...(s0.report.vq ? [s0.report.vq.stage] : []), ...run.stages]) curves[s.name] = s.history.map((h) => h.loss);
    timings.total = (performance.now() - t0) / 1000;
    return {
      settings: { preset, seed, budget, stages: stageOptions, train: split.train.length, heldOut: split.test.length, subtasks: Object.fromEntries([...groups].map(([k, v]) => [k, v.length])) },
      stage0: s0.report,
      stages: run.stages,
      lossCurves: curves,
      evaluation,
      bar: demoBar(evaluation),
      timings,
      model,
      modelDir,
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
