import type { HealthGPT } from '@healthgpt/model';
import type { StageSpec, GroupSpec, RowSpec } from '../loop/stage.js';
import type { Selector } from '../loop/selectors.js';
import { TrainerError } from '../errors.js';

/** The paper's hyper-parameters (REFERENCE.md §3, HealthGPT-M3), before scaling. */
export const PAPER_HYPERPARAMETERS = {
  alignmentComprehension: { lr: 1e-3, batch: 256 },
  alignmentGeneration: { projectorLr: 2e-5, pluginLr: 2e-4, batch: 64 },
  fusion: { lr: 2e-4, batch: 32 },
  instruction: { pluginLr: 2e-4, projectorLr: 2e-5, batch: 128 },
} as const;

/**
 * How learning rates follow the batch: `sqrt` (the default) multiplies the paper's lr by
 * √(batch / paper batch), the square-root rule for Adam-type optimizers (Malladi et al., 2022,
 * "On the SDEs and Scaling Rules for Adaptive Gradient Algorithms"): the gradient noise grows as
 * the batch shrinks, and Adam's normalised step should shrink with its standard deviation.
 * `linear` is Goyal et al.'s rule for SGD; `none` keeps the paper's values.
 */
export type LrScaling = 'sqrt' | 'linear' | 'none';

export function scaleLr(lr: number, batch: number, paperBatch: number, rule: LrScaling = 'sqrt'): number {
  TrainerError.check(batch > 0 && paperBatch > 0, 'ARGUMENT', `'scaleLr' needs positive batch sizes, got ${batch} and ${paperBatch}`);
  const r = batch / paperBatch;
  return rule === 'none' ? lr : rule === 'linear' ? lr * r : lr * Math.sqrt(r);
}

/** The data-bearing stages of `paperStages`, as `PaperStageOptions.data` and `weights` name them. */
export type PaperStageData = 'alignmentComprehension' | 'alignmentGeneration' | 'fusion' | 'instruction';
const STAGE_DATA: readonly PaperStageData[] = ['alignmentComprehension', 'alignmentGeneration', 'fusion', 'instruction'];

export interface PaperStageOptions {
  /** Items per micro-batch (default 8). */
  batchSize?: number;
  /** Micro-batches per step (default 1); the effective batch (batchSize × this) is what lrs are scaled by. */
  gradientAccumulation?: number;
  /** Optimizer steps of each stage (`alignmentGeneration`: the generation alignment's, default `alignment`). */
  steps: { alignment: number; fusion: number; instruction: number; alignmentGeneration?: number };
  lrScaling?: LrScaling;
  /**
   * A further multiplier of every lr (default 1). Small models trained from scratch for a few
   * hundred steps learn faster than the paper's 3.8 B model allows; the demo sets it (see README).
   */
  lrScale?: number;
  /** Subtasks of each stage's data (defaults: the paper's). */
  data?: Partial<Record<PaperStageData, string[]>>;
  /**
   * Mixture weights by subtask within a stage's data (default 1 each): each optimizer step draws
   * one subtask with probability weight / (sum of the stage's weights). E.g. `{ instruction: { vqa: 3 } }`
   * gives VQA three draws of stage 3 for each draw of any other subtask. Every weight must be a
   * finite number > 0 and name a subtask of that stage's data (to leave a subtask out, use `data`);
   * a weighted subtask that is not `available` is left out like an unweighted one.
   */
  weights?: Partial<Record<PaperStageData, Readonly<Record<string, number>>>>;
  /** Subtasks available (a stage keeps only these of its defaults). */
  available: readonly string[];
  /** Clip the gradient norm (default 1). */
  clipNorm?: number;
  seed?: number;
  checkpointEvery?: number;
}

/** Dotted-name selectors of the assembled model's parts. */
export function healthGPTSelectors(model: HealthGPT) {
  const task = (t: string) => model.task(t);
  const tied = !model.namedParameters().some(([n]) => n === 'lm_head.weight');
  return {
    projector: (t: string): Selector => `model.${task(t).projector}.**`,
    plugin: (t: string): Selector => `**.lora_*.${t}.weight`,
    embeddings: ['model.embed_tokens.weight', ...(tied ? [] : ['lm_head.weight'])] as Selector[],
  };
}

/** The image-token rows of the embedding and head: [first image id, vocabulary end). */
export function imageTokenRows(model: HealthGPT): RowSpec[] {
  const ids = model.config.imageTokens;
  TrainerError.check(ids !== null, 'STAGE', `the model has no image tokens (no image task)`);
  const h = healthGPTSelectors(model);
  return (h.embeddings as string[]).map((param) => ({ param, rows: [ids.start, model.config.text.vocabSize] as const }));
}

const pick = (wanted: string[], available: readonly string[], weights: Readonly<Record<string, number>> = {}) => Object.fromEntries(wanted.filter((s) => available.includes(s)).map((s) => [s, weights[s] ?? 1]));

/** `weights` checked against each stage's data: known stages, subtasks of that stage, finite weights > 0. */
function checkWeights(weights: PaperStageOptions['weights'], data: Record<PaperStageData, string[]>): void {
  for (const [stage, w] of Object.entries(weights ?? {})) {
    TrainerError.check((STAGE_DATA as readonly string[]).includes(stage), 'ARGUMENT', () => `'weights' names an unknown stage '${stage}' (stages: ${STAGE_DATA.join(', ')})`, { key: `weights.${stage}` });
    for (const [task, x] of Object.entries(w ?? {})) {
      const key = `weights.${stage}.${task}`;
      TrainerError.check(data[stage as PaperStageData].includes(task), 'ARGUMENT', () => `'weights' gives task '${task}' a weight in stage data '${stage}', which does not hold it (${data[stage as PaperStageData].join(', ')})`, { key });
      TrainerError.check(typeof x === 'number' && Number.isFinite(x) && x > 0, 'ARGUMENT', () => `the mixture weight of task '${task}' in '${stage}' must be a finite number > 0, got ${x}`, { key });
    }
  }
}

/**
 * Each stage's subtasks (`data`, else the paper's) with `weights` checked against them: a typed
 * `TrainerError` naming `weights.<stage>.<task>` for a bad weight. Pipelines call it before their
 * long stage 0, so a mistake in a budget fails at once rather than at stage 1.
 */
export function paperStageData(o: Pick<PaperStageOptions, 'data' | 'weights' | 'available'>): Record<PaperStageData, string[]> {
  const d: Record<PaperStageData, string[]> = {
    alignmentComprehension: o.data?.alignmentComprehension ?? ['caption', 'report'],
    alignmentGeneration: o.data?.alignmentGeneration ?? ['reconstruction'],
    fusion: o.data?.fusion ?? [...o.available],
    // `vqa-pairs` (paired closed questions, `questionPairSamples`) trains where a pipeline made it.
    instruction: o.data?.instruction ?? ['vqa', 'vqa-pairs', 'caption', 'report', 'super-resolution', 'modality-conversion', 'reconstruction', 'denoising'],
  };
  checkWeights(o.weights, d);
  return d;
}

/**
 * The paper's three stages as data for `Trainer.run`: 1 alignment (comprehension: its projector on
 * captions; generation: its projector, its H-LoRA and the new image-token rows on reconstruction),
 * 2 heterogeneous plugin fusion (embeddings and head on mixed data, constant lr), 3 visual
 * instruction tuning (each task's H-LoRA and projector, warm-up then cosine). Each stage draws its
 * subtasks with equal weight unless `weights` says otherwise. Learning rates are the paper's, scaled to the effective batch by `lrScaling` and multiplied by `lrScale`.
 */
export function paperStages(model: HealthGPT, o: PaperStageOptions): StageSpec[] {
  const { batchSize = 8, gradientAccumulation = 1, lrScaling = 'sqrt', lrScale = 1, clipNorm = 1, seed = 0 } = o;
  const eff = batchSize * gradientAccumulation;
  const P = PAPER_HYPERPARAMETERS;
  const lr = (x: number, b: number) => scaleLr(x, eff, b, lrScaling) * lrScale;
  const h = healthGPTSelectors(model);
  const textTasks = model.tasks.filter((t) => model.task(t).output === 'text');
  const imageTasks = model.tasks.filter((t) => model.task(t).output === 'image');
  const d = paperStageData(o);
  const w = o.weights ?? {};
  const common = { batchSize, gradientAccumulation, clipNorm, checkpointEvery: o.checkpointEvery, seed } as const;
  const stages: StageSpec[] = [];
  for (const t of textTasks) {
    const mixture = pick(d.alignmentComprehension, o.available, w.alignmentComprehension);
    if (!Object.keys(mixture).length) continue;
    stages.push({ ...common, name: `stage1-alignment-${t}`, trainable: [h.projector(t)], lr: lr(P.alignmentComprehension.lr, P.alignmentComprehension.batch), mixture, length: { steps: o.steps.alignment }, schedule: { kind: 'cosine', warmupRatio: 0.03 } });
  }
  for (const t of imageTasks) {
    const mixture = pick(d.alignmentGeneration, o.available, w.alignmentGeneration);
    if (!Object.keys(mixture).length) continue;
    const groups: GroupSpec[] = [
      { name: 'projector', match: h.projector(t), lr: lr(P.alignmentGeneration.projectorLr, P.alignmentGeneration.batch) },
      { name: 'plugin', match: h.plugin(t), lr: lr(P.alignmentGeneration.pluginLr, P.alignmentGeneration.batch) },
    ];
    stages.push({ ...common, name: `stage1-alignment-${t}`, trainable: [h.projector(t), h.plugin(t), ...h.embeddings], rows: imageTokenRows(model), lr: lr(P.alignmentGeneration.pluginLr, P.alignmentGeneration.batch), groups, mixture, length: { steps: o.steps.alignmentGeneration ?? o.steps.alignment }, schedule: { kind: 'cosine', warmupRatio: 0.03 } });
  }
  stages.push({ ...common, name: 'stage2-fusion', trainable: h.embeddings, lr: lr(P.fusion.lr, P.fusion.batch), mixture: pick(d.fusion, o.available, w.fusion), length: { steps: o.steps.fusion }, schedule: { kind: 'constant' } });
  const all = model.tasks;
  stages.push({
    ...common,
    name: 'stage3-instruction',
    trainable: [...all.map(h.plugin), ...all.map(h.projector)],
    lr: lr(P.instruction.pluginLr, P.instruction.batch),
    groups: [{ name: 'projectors', match: all.map(h.projector), lr: lr(P.instruction.projectorLr, P.instruction.batch) }],
    mixture: pick(d.instruction, o.available, w.instruction),
    length: { steps: o.steps.instruction },
    schedule: { kind: 'cosine', warmupRatio: 0.03 },
  });
  for (const s of stages) TrainerError.check(Object.keys(s.mixture ?? {}).length > 0, 'STAGE', () => `stage '${s.name}' has none of its data among the available subtasks (${o.available.join(', ')})`);
  return stages;
}

/**
 * Mixed training (paper Table 5's baseline): one stage on all the data at once, training every
 * part the three stages train (projectors, both plugins, embeddings and head) for the same total
 * steps, at the instruction stage's lrs.
 */
export function mixedStage(model: HealthGPT, o: PaperStageOptions): StageSpec {
  const { batchSize = 8, gradientAccumulation = 1, lrScaling = 'sqrt', lrScale = 1, clipNorm = 1, seed = 0 } = o;
  const eff = batchSize * gradientAccumulation;
  const P = PAPER_HYPERPARAMETERS;
  const lr = (x: number, b: number) => scaleLr(x, eff, b, lrScaling) * lrScale;
  const h = healthGPTSelectors(model);
  const all = model.tasks;
  const stages = paperStages(model, o);
  const steps = stages.reduce((n, s) => n + ('steps' in s.length ? s.length.steps : 0), 0);
  return {
    batchSize,
    gradientAccumulation,
    clipNorm,
    seed,
    checkpointEvery: o.checkpointEvery,
    name: 'mixed',
    trainable: [...all.map(h.plugin), ...all.map(h.projector), ...h.embeddings],
    lr: lr(P.instruction.pluginLr, P.instruction.batch),
    groups: [{ name: 'projectors', match: all.map(h.projector), lr: lr(P.instruction.projectorLr, P.instruction.batch) }],
    mixture: Object.fromEntries(o.available.map((s) => [s, 1])),
    length: { steps },
    schedule: { kind: 'cosine', warmupRatio: 0.03 },
  };
}
