import { healthGPTPreset, type HealthGPT, type HealthGPTPresetName, type TaskConfigJson } from '@healthgpt/model';
import { Trainer } from '../loop/trainer.js';
import type { StageSpec } from '../loop/stage.js';
import type { ProgressSink } from '../loop/progress.js';
import { encodeSamples, bySubtask } from '../healthgpt/data.js';
import { healthGPTTasks } from '../healthgpt/task.js';
import { paperStages, mixedStage, type PaperStageOptions } from '../healthgpt/stages.js';
import { evaluate, type EvalReport } from '../eval/evaluate.js';
import { runStage0 } from './stage0.js';
import { syntheticData, cloneParts, assembleModel, type SyntheticData, type Stage0Parts } from './parts.js';
import { PIPELINE_BUDGETS, evalSubset, type PipelineBudget } from './demo.js';

export interface AblationOptions {
  /** A named budget or your own (default `quick`). */
  budget?: keyof typeof PIPELINE_BUDGETS | PipelineBudget;
  preset?: HealthGPTPresetName;
  seed?: number;
  progress?: 'auto' | false | ProgressSink;
  onPhase?: (phase: string) => void;
  /**
   * A stage 0 already run (its data and parts) to start every variant from, instead of running one
   * here: several ablations can share it. Its parts stay the caller's (only copies are trained).
   */
  stage0?: { data: SyntheticData; parts: Stage0Parts };
}

/** One trained variant's scores on the held-out set. */
export interface AblationRow {
  setting: string;
  /** VQA accuracy on closed questions and on all questions. */
  closed: number;
  all: number;
  /** Caption ROUGE-L. */
  captionRougeL: number;
  /** SSIM per generation subtask. */
  ssim: Record<string, number>;
  /** Mean wall-clock milliseconds per optimizer step over all stages, and training seconds. */
  msPerStep: number;
  trainSeconds: number;
  trainableParameters: number;
}

export interface AblationTable {
  name: string;
  rows: AblationRow[];
  settings: { preset: HealthGPTPresetName; seed: number; budget: PipelineBudget; train: number; heldOut: number; notes: string };
  /** The table in Markdown, settings below it. */
  markdown: string;
}

interface Variant {
  setting: string;
  tasks?: Record<string, TaskConfigJson>;
  stages: (model: HealthGPT, o: PaperStageOptions) => StageSpec[];
}

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function row(setting: string, ev: EvalReport, stages: { history: { ms: number }[]; seconds: number; trainableParameters: number }[]): AblationRow {
  const vqa = (t: string) => ev.comprehension.find((r) => r.subtask === 'vqa' && r.answerType === t)?.accuracy ?? NaN;
  const steps = stages.flatMap((s) => s.history.map((h) => h.ms));
  return {
    setting,
    closed: vqa('CLOSED'),
    all: vqa('ALL'),
    captionRougeL: ev.comprehension.find((r) => r.subtask === 'caption')?.rougeL ?? NaN,
    ssim: Object.fromEntries(ev.generation.map((g) => [g.subtask, g.model.ssim])),
    msPerStep: steps.reduce((a, b) => a + b, 0) / Math.max(1, steps.length),
    trainSeconds: stages.reduce((n, s) => n + s.seconds, 0),
    trainableParameters: Math.max(...stages.map((s) => s.trainableParameters)),
  };
}

function markdown(name: string, rows: AblationRow[], settings: AblationTable['settings']): string {
  const subtasks = [...new Set(rows.flatMap((r) => Object.keys(r.ssim)))].sort();
  const head = ['setting', 'VQA closed', 'VQA all', 'caption ROUGE-L', ...subtasks.map((s) => `SSIM ${s}`), 'ms / step', 'train s', 'max trainable'];
  const lines = [`### ${name}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${[r.setting, fmt(r.closed), fmt(r.all), fmt(r.captionRougeL), ...subtasks.map((s) => fmt(r.ssim[s] ?? NaN)), fmt(r.msPerStep, 0), fmt(r.trainSeconds, 1), String(r.trainableParameters)].join(' | ')} |`);
  const b = settings.budget;
  lines.push('', `Settings: preset \`${settings.preset}\`, seed ${settings.seed}, ${b.scenes} synthetic scenes (${settings.train} training / ${settings.heldOut} held-out samples, split by image), stage 0 steps decoder ${b.stage0.decoder.steps} / vision ${b.stage0.vision.steps} / VQ ${b.stage0.vq.steps}, stages 1–3 steps ${b.stages.alignment} / ${b.stages.fusion} / ${b.stages.instruction}, batch ${b.stages.batchSize}, lr scale ${b.stages.lrScale}, ≤ ${b.evalPerSubtask} evaluated per subtask. ${settings.notes}`);
  return lines.join('\n');
}

/** Stage 0 once, then each variant from copies of its parts: assembled, trained, evaluated. */
async function compare(name: string, variants: Variant[], o: AblationOptions, notes: string): Promise<AblationTable> {
  const { preset = 'tiny', seed = 0 } = o;
  const budget = typeof o.budget === 'object' ? o.budget : PIPELINE_BUDGETS[o.budget ?? 'quick'];
  o.onPhase?.('stage0');
  const data: SyntheticData = o.stage0?.data ?? syntheticData(preset, budget.scenes, seed);
  const base: Stage0Parts = o.stage0?.parts ?? (await runStage0({ preset, train: data.train, heldOut: data.heldOut, images: data.images, budget: budget.stage0, seed, progress: o.progress ?? false }));
  const rows: AblationRow[] = [];
  try {
    for (const v of variants) {
      o.onPhase?.(v.setting);
      const model = assembleModel(await cloneParts(base), preset, { tasks: v.tasks, seed });
      try {
        const groups = bySubtask(await encodeSamples(model, data.train, data.images));
        const so: PaperStageOptions = { steps: budget.stages, batchSize: budget.stages.batchSize, lrScale: budget.stages.lrScale, available: [...groups.keys()], seed };
        const run = await new Trainer({ model, tasks: healthGPTTasks(model, groups), progress: o.progress ?? false }).run(v.stages(model, so));
        const ev = await evaluate(model, evalSubset(data.heldOut, budget.evalPerSubtask), { images: data.images, train: data.train });
        rows.push(row(v.setting, ev, run.stages));
      } finally {
        model.dispose();
      }
    }
  } finally {
    if (!o.stage0) {
      base.decoder.dispose();
      base.visionTower.dispose();
      base.vq?.dispose();
    }
  }
  const settings = { preset, seed, budget, train: data.train.length, heldOut: data.heldOut.length, notes };
  return { name, rows, settings, markdown: markdown(name, rows, settings) };
}

/**
 * Paper Table 5 at small scale: the three-stage schedule against mixed training (one stage on all
 * data that trains everything the three stages train, for the same number of steps), from the
 * same stage 0.
 */
export function ablateTrainingSchedule(o: AblationOptions = {}): Promise<AblationTable> {
  return compare(
    'Three-stage vs mixed training (paper Table 5)',
    [
      { setting: 'three-stage', stages: (m, so) => paperStages(m, so) },
      { setting: 'mixed', stages: (m, so) => [mixedStage(m, so)] },
    ],
    o,
    'Mixed: one stage over every subtask with projectors, both plugins, embeddings and head trainable, at stage 3’s learning rates, for the three stages’ total steps.',
  );
}

/** A preset's tasks with every plugin of another adapter kind at the same total rank (and experts). */
export function pluginTasks(preset: HealthGPTPresetName, kind: 'hlora' | 'lora' | 'moe-lora'): Record<string, TaskConfigJson> {
  const tasks = healthGPTPreset(preset).tasks;
  return Object.fromEntries(
    Object.entries(tasks).map(([name, t]) => {
      if (!t.plugin) return [name, t];
      const { lora_nums, ...rest } = t.plugin;
      return [name, { ...t, plugin: kind === 'lora' ? { ...rest, adapter_kind: 'lora' } : { ...rest, lora_nums, adapter_kind: kind } }];
    }),
  );
}

/**
 * Paper Table 4 at small scale: H-LoRA against plain LoRA and a looped MoE-LoRA at the same rank
 * budget (total rank R per task; H-LoRA and MoE-LoRA split it into k experts), the same stages
 * and data from the same stage 0: quality and milliseconds per training step.
 */
export function ablatePluginKinds(o: AblationOptions = {}): Promise<AblationTable> {
  const preset = o.preset ?? 'tiny';
  return compare(
    'H-LoRA vs LoRA vs MoE-LoRA at the same rank budget (paper Table 4)',
    (['hlora', 'lora', 'moe-lora'] as const).map((kind) => ({ setting: kind === 'hlora' ? 'H-LoRA' : kind === 'lora' ? 'LoRA' : 'MoE-LoRA', tasks: pluginTasks(preset, kind), stages: (m, so) => paperStages(m, so) })),
    o,
    'Rank budget per task as the preset’s H-LoRA (total rank R, alpha 2R; k experts for H-LoRA and MoE-LoRA), dropout as the preset; ms / step is wall-clock on the machine of the run, measured in the same process for every variant.',
  );
}
