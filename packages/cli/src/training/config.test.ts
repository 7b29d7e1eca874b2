import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HealthGPTError } from '@healthgpt/tensor-core/base';
import { PIPELINE_BUDGETS, type PipelineBudget } from '@healthgpt/trainer';
import { readTrainConfig, trainConfigSchema } from './config.js';

/** Write `json` as a config file and read it back through `readTrainConfig`. */
function read(json: unknown): ReturnType<typeof readTrainConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'train-config-'));
  try {
    writeFileSync(join(dir, 'c.json'), JSON.stringify(json));
    return readTrainConfig(join(dir, 'c.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The error `readTrainConfig` throws for `json`, as message and context. */
function problem(json: unknown): { message: string; path?: string } {
  try {
    read(json);
  } catch (e) {
    expect(e).toBeInstanceOf(HealthGPTError);
    const err = e as HealthGPTError<string>;
    expect(err.context.file).toMatch(/c\.json$/);
    return { message: err.message, path: err.context.path };
  }
  throw new Error('the config was accepted');
}

describe('healthgpt train --config: the budget', () => {
  it('accepts every named budget written out in full, and reads it back unchanged', () => {
    for (const name of ['demo', 'quick', 'test'] as const) {
      const budget: PipelineBudget = PIPELINE_BUDGETS[name];
      const c = read({ pipeline: 'synthetic', budget });
      expect(c.pipeline === 'synthetic' && c.budget).toEqual(budget);
    }
  });

  it('takes the question phase, the generation alignment, each stage’s data and mixture weights', () => {
    const budget = {
      ...PIPELINE_BUDGETS.test,
      stage0: { ...PIPELINE_BUDGETS.test.stage0, decoder: { ...PIPELINE_BUDGETS.test.stage0.decoder, questionSteps: 40 } },
      stages: { ...PIPELINE_BUDGETS.test.stages, alignmentGeneration: 12, data: { fusion: ['vqa', 'caption'] }, weights: { instruction: { vqa: 4, caption: 0.5, 'vqa-pairs': 3 } }, questionPairs: ['modality', 'plane'] },
    };
    expect(trainConfigSchema.parse({ pipeline: 'synthetic', budget })).toEqual({ pipeline: 'synthetic', model: 'tiny', seed: 0, budget });
  });

  it.each([
    [{ weights: { instruction: { vqa: 0 } } }, 'budget.stages.weights.instruction.vqa'],
    [{ weights: { instruction: { vqa: -1 } } }, 'budget.stages.weights.instruction.vqa'],
    [{ weights: { instruction: { vqa: '4' } } }, 'budget.stages.weights.instruction.vqa'],
    [{ weights: { stage4: { vqa: 2 } } }, 'budget.stages.weights'],
    [{ data: { fusion: [] } }, 'budget.stages.data.fusion'],
    [{ data: { fusion: 'vqa' } }, 'budget.stages.data.fusion'],
    [{ alignmentGeneration: 1.5 }, 'budget.stages.alignmentGeneration'],
    [{ questionPairs: ['colour'] }, 'budget.stages.questionPairs[0]'],
    [{ questionPairs: 'organ' }, 'budget.stages.questionPairs'],
  ])('a bad stage field %j is an error naming the file and %s', (extra, path) => {
    const p = problem({ pipeline: 'synthetic', budget: { ...PIPELINE_BUDGETS.test, stages: { ...PIPELINE_BUDGETS.test.stages, ...extra } } });
    expect(p.path).toBe(path);
  });

  it('a negative question phase names its field', () => {
    const s0 = PIPELINE_BUDGETS.test.stage0;
    expect(problem({ pipeline: 'synthetic', budget: { ...PIPELINE_BUDGETS.test, stage0: { ...s0, decoder: { ...s0.decoder, questionSteps: -1 } } } }).path).toBe('budget.stage0.decoder.questionSteps');
  });

  it('the vqa-rad pipeline (one subtask, no synthetic scenes) refuses the synthetic-only fields', () => {
    const { stage0, stages } = PIPELINE_BUDGETS.test;
    expect(read({ pipeline: 'vqa-rad', budget: { stage0, stages } }).pipeline).toBe('vqa-rad');
    expect(problem({ pipeline: 'vqa-rad', budget: { stage0, stages: { ...stages, weights: { instruction: { vqa: 2 } } } } }).message).toMatch(/weights/);
    expect(problem({ pipeline: 'vqa-rad', budget: { stage0, stages: { ...stages, questionPairs: ['organ'] } } }).message).toMatch(/questionPairs/);
    expect(problem({ pipeline: 'vqa-rad', budget: { stage0: { ...stage0, decoder: { ...stage0.decoder, questionSteps: 5 } }, stages } }).message).toMatch(/questionSteps/);
  });
});

describe('the README’s config example', () => {
  it('is a valid config whose mixture weights, question pairs and question phase are read as written', () => {
    const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');
    const block = /```json\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const c = read(JSON.parse(block![1]));
    if (c.pipeline !== 'synthetic' || typeof c.budget === 'string') throw new Error('expected a synthetic pipeline with its own budget');
    expect(c.budget.stages.weights).toEqual({ instruction: { vqa: 2, 'vqa-pairs': 6 } });
    expect(c.budget.stages.questionPairs).toEqual(['modality', 'organ', 'plane']);
    expect(c.budget.stage0.decoder.questionSteps).toBe(600);
  });
});
