import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { validateJson } from '@healthgpt/tensor-core/base';
import { QUESTION_TYPES } from '@healthgpt/vl-health';
import { CliError } from '../errors.js';
import { existingFile } from '../util/args.js';

const steps = z.number().int().min(0);
const size = z.number().int().min(1);
const lr = z.number().min(0).max(1);
const decoder = z.strictObject({ steps, batchSize: size, lr, seqLen: z.number().int().min(4) });
const stage0 = z.strictObject({ decoder, vision: z.strictObject({ steps, batchSize: size, lr }), vq: z.strictObject({ steps, batchSize: size, lr }) });
/** The synthetic pipeline's stage 0 also takes `decoder.questionSteps`: the decoder's closed-question phase after its language model (default 0). */
const syntheticStage0 = stage0.extend({ decoder: decoder.extend({ questionSteps: steps.optional() }) });
const stages = z.strictObject({ alignment: steps, fusion: steps, instruction: steps, batchSize: size, lrScale: z.number().positive() });

/** Per stage's data (`PaperStageData`): the same keys for the subtask lists and for their mixture weights. */
const byStageData = <T extends z.ZodType>(v: T) =>
  z.strictObject({ alignmentComprehension: v.optional(), alignmentGeneration: v.optional(), fusion: v.optional(), instruction: v.optional() });
const subtasks = z.array(z.string().min(1)).min(1);
/** A subtask's weight in its stage's mixture: positive and finite (an absent subtask weighs 1). */
const weights = z.record(z.string().min(1), z.number().positive().finite());
/** The synthetic pipeline's stages 1–3 (VQA-RAD has one subtask, so only `stages`). */
const syntheticStages = stages.extend({
  /** Steps of the generation alignment (default `alignment`). */
  alignmentGeneration: steps.optional(),
  /** The subtasks of a stage's data where they differ from the paper's, e.g. `{ "fusion": ["vqa", "caption"] }`. */
  data: byStageData(subtasks).optional(),
  /** Mixture weights by subtask within a stage's data, e.g. `{ "instruction": { "vqa": 4 } }`. */
  weights: byStageData(weights).optional(),
  /** Question types asked both ways about every training image, trained as subtask `vqa-pairs`, e.g. `["modality", "organ", "plane"]`. */
  questionPairs: z.array(z.enum(QUESTION_TYPES)).optional(),
});

/** A `healthgpt train --config FILE`: which pipeline, the model preset, the seed and the step budget. */
export const trainConfigSchema = z.discriminatedUnion('pipeline', [
  z.strictObject({
    pipeline: z.literal('synthetic'),
    model: z.enum(['tiny', 'small']).default('tiny'),
    seed: z.number().int().min(0).default(0),
    /** A named budget (`demo`, `quick`, `test`) or one of your own. */
    budget: z.union([z.enum(['demo', 'quick', 'test']), z.strictObject({ scenes: z.number().int().min(8), stage0: syntheticStage0, stages: syntheticStages, evalPerSubtask: size })]).default('demo'),
  }),
  z.strictObject({
    pipeline: z.literal('vqa-rad'),
    model: z.enum(['tiny', 'small']).default('tiny'),
    seed: z.number().int().min(0).default(0),
    /** The VQA-RAD release folder (else `--data`), relative to the config file. */
    data: z.string().min(1).optional(),
    /** Share of the training images held out for validation. */
    validation: z.number().gt(0).lt(1).default(0.15),
    budget: z.strictObject({ stage0, stages }).optional(),
  }),
]);
export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** The presets `healthgpt train --preset NAME` knows: the synthetic pipeline's budgets and `vqa-rad`. */
export const TRAIN_PRESETS = ['demo', 'quick', 'test', 'vqa-rad'] as const;
export type TrainPreset = (typeof TRAIN_PRESETS)[number];

export function presetConfig(name: TrainPreset): TrainConfig {
  return name === 'vqa-rad' ? trainConfigSchema.parse({ pipeline: 'vqa-rad' }) : trainConfigSchema.parse({ pipeline: 'synthetic', budget: name });
}

/** Read and check a training config file; problems name the file and the field. */
export function readTrainConfig(file: string): TrainConfig {
  const abs = existingFile('--config', file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(abs, 'utf8'));
  } catch (e) {
    throw new CliError('USAGE', `--config ${file}: not JSON: ${(e as Error).message}`, { file: abs });
  }
  const c = validateJson(trainConfigSchema, json, { file: abs, what: 'a training config' });
  return c.pipeline === 'vqa-rad' && c.data ? { ...c, data: resolve(abs, '..', c.data) } : c;
}
