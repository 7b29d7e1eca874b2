import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { HealthGPT } from '@healthgpt/model';
import { runPipeline, PIPELINE_BUDGETS, syntheticData, TrainerError, type PipelineReport, type Task, type StageSpec } from '../index.js';

/** The mean loss of the first (up to) 6 items of each of a stage's tasks, model in eval mode. */
function fixedLoss(tasks: readonly Task[], stage: StageSpec): number {
  const values = tasks.map((t) => {
    const batch = t.collate(t.items.slice(0, 6) as never[]);
    try {
      const out = t.loss(batch, { stage: stage.name, step: 0, micro: 0 });
      const loss = out instanceof tf.Tensor ? out : out.loss;
      const v = loss.dataSync()[0];
      tf.dispose([out as never]);
      if (!(out instanceof tf.Tensor)) tf.dispose([loss, ...Object.values(out.parts ?? {})]);
      return v;
    } finally {
      t.dispose?.(batch);
    }
  });
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('the whole pipeline on a tiny synthetic set (stage 0 → 3, evaluation)', () => {
  let report: PipelineReport;
  const before = new Map<string, number>();
  const after = new Map<string, number>();
  const frozenChanged: string[] = [];
  const trainedUnchanged: string[] = [];
  const tensorsPerStep = new Map<string, number[]>();
  const tensorsAround = new Map<string, { start: number; end: number; trainable: number }>();
  const mixtures = new Map<string, StageSpec['mixture']>();
  let snapshot = new Map<string, Float32Array>();
  let params: () => [string, Tensor][] = () => [];
  const outDir = mkdtempSync(join(tmpdir(), 'trainer-pipeline-'));

  beforeAll(async () => {
    const budget = { ...PIPELINE_BUDGETS.test, stages: { ...PIPELINE_BUDGETS.test.stages, alignment: 6, fusion: 6, instruction: 8, weights: { instruction: { vqa: 3, 'vqa-pairs': 2 } }, questionPairs: ['organ' as const] } };
    report = await runPipeline({
      budget,
      outDir,
      progress: false,
      onStep: (r) => tensorsPerStep.set(r.stage, [...(tensorsPerStep.get(r.stage) ?? []), r.memory.tensors]),
      onStageStart: (stage, { tasks, trainable }) => {
        mixtures.set(stage.name, stage.mixture);
        tensorsAround.set(stage.name, { start: tf.memory().numTensors - (stage.rows?.length ?? 0), end: NaN, trainable: trainable.length }); // row masks live with the stage
        // every stage's trainer has its own model: find it through the tasks' first batch is not
        // possible generically, so snapshot through the module the stage trains (set below)
        before.set(stage.name, fixedLoss(tasks, stage));
        snapshot = new Map(params().map(([n, p]) => [n, Float32Array.from(p.dataSync())]));
      },
      onStageEnd: (stage, _r, { tasks }) => {
        tensorsAround.get(stage.name)!.end = tf.memory().numTensors;
        after.set(stage.name, fixedLoss(tasks, stage));
        for (const [n, p] of params()) {
          const old = snapshot.get(n);
          if (!old) continue;
          const now = p.dataSync();
          const same = now.every((v, i) => Object.is(v, old[i]));
          const trainable = (p as unknown as { trainable: boolean }).trainable;
          if (!trainable && !same) frozenChanged.push(`${stage.name}: ${n}`);
          if (trainable && same) trainedUnchanged.push(`${stage.name}: ${n}`);
        }
      },
      onModel: (m) => void (params = () => m.namedParameters()),
    });
  }, 1_200_000);
  afterAll(() => {
    report?.model.dispose();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('lowers every stage’s loss on a fixed batch of its own data', () => {
    const names = [...before.keys()];
    expect(names).toEqual(['stage0-decoder', 'stage0-vision', 'stage0-vq', 'stage1-alignment-comprehension', 'stage1-alignment-generation', 'stage2-fusion', 'stage3-instruction']);
    for (const n of names) expect(after.get(n)!, n).toBeLessThan(before.get(n)!);
  });

  it('leaves frozen parameters bit-identical and changes every trained one', () => {
    expect(frozenChanged).toEqual([]);
    expect(trainedUnchanged).toEqual([]);
  });

  it('leaks no tensor across steps: the count only grows by optimizer moments, and a stage ends where it started', () => {
    for (const [stage, counts] of tensorsPerStep) {
      const around = tensorsAround.get(stage)!;
      // AdamW makes two moments per parameter at its first gradient (a task's first batch); nothing else may stay
      expect(counts.every((c, i) => i === 0 || c >= counts[i - 1]), `${stage}: ${counts.join(',')}`).toBe(true);
      expect(counts[counts.length - 1] - around.start, `${stage}: ${around.start} → ${counts.join(',')}`).toBeLessThanOrEqual(2 * around.trainable + 2);
      expect(around.end, `${stage}: ${around.start} before, ${around.end} after`).toBe(around.start);
    }
  });

  it('reports stage 0’s evidence, loss curves, evaluation tables with baselines, and timings', () => {
    const s0 = report.stage0;
    expect(s0.decoder.perplexityAfter).toBeLessThan(s0.decoder.perplexityBefore);
    expect(s0.vq!.psnr).toBeGreaterThan(0);
    expect(Object.keys(report.lossCurves)).toHaveLength(7);
    const vqa = report.evaluation.comprehension.filter((r) => r.subtask === 'vqa').map((r) => r.answerType);
    expect(vqa).toEqual(['CLOSED', 'OPEN', 'ALL']);
    // each VQA row broken down by the synthetic set's question types, adding up to the row
    for (const r of report.evaluation.comprehension.filter((x) => x.subtask === 'vqa')) {
      const types = r.byQuestionType!;
      expect(Object.keys(types).every((t) => ['modality', 'organ', 'plane', 'presence', 'side', 'count', 'size'].includes(t)), r.answerType).toBe(true);
      expect(Object.values(types).reduce((a, t) => a + t.n, 0)).toBe(r.n);
    }
    expect(report.evaluation.comprehension.every((r) => 'questionOnly' in r.baselines && 'majority' in r.baselines)).toBe(true);
    expect(report.evaluation.generation.map((g) => g.subtask).sort()).toEqual(['denoising', 'modality-conversion', 'reconstruction', 'super-resolution']);
    for (const g of report.evaluation.generation) expect(g.identity.ssim).toBeGreaterThan(g.model.ssim - 2);
    expect(report.evaluation.examples.comprehension.length).toBeGreaterThan(0);
    expect(report.timings.total).toBeGreaterThan(0);
    expect(typeof report.bar.passed).toBe('boolean');
    // the budget's mixture weights reach stage 3 (the other subtasks at 1) and the report's settings
    expect(mixtures.get('stage3-instruction')).toEqual({ ...Object.fromEntries(Object.keys(mixtures.get('stage3-instruction')!).map((t) => [t, 1])), vqa: 3, 'vqa-pairs': 2 });
    expect(report.settings.stages.weights).toEqual({ instruction: { vqa: 3, 'vqa-pairs': 2 } });
    expect(report.settings.budget.stages.weights).toEqual({ instruction: { vqa: 3, 'vqa-pairs': 2 } });
    // the organ question asked both ways about every training image; trained on, never evaluated
    const data = syntheticData('tiny', PIPELINE_BUDGETS.test.scenes, 0);
    expect(report.settings.train).toBe(data.train.length);
    expect(report.settings.subtasks['vqa-pairs']).toBe(2 * new Set(data.train.filter((x) => x.task === 'comprehension').map((x) => x.images[0])).size);
    expect(report.evaluation.comprehension.map((r) => r.subtask)).not.toContain('vqa-pairs');
  });

  it('saves the trained model in the model package’s layout, and each stage’s result in its final checkpoint', async () => {
    const loaded = await HealthGPT.fromPretrained(report.modelDir!);
    try {
      const bytes = (p: Tensor) => Buffer.from((p.dataSync() as Float32Array).buffer);
      const want = new Map(report.model.namedParameters().map(([n, p]) => [n, bytes(p)]));
      const got = loaded.namedParameters();
      expect(got.map(([n]) => n).sort()).toEqual([...want.keys()].sort());
      expect(got.filter(([n, p]) => !bytes(p).equals(want.get(n)!)).map(([n]) => n)).toEqual([]);
    } finally {
      loaded.dispose();
    }
    const last = report.stages[report.stages.length - 1].checkpoint!; // (older checkpoints are pruned)
    expect(existsSync(join(last, 'model', 'config.json'))).toBe(true);
    expect(existsSync(join(last, 'model', 'plugins', 'comprehension', 'adapter_config.json'))).toBe(true);
  });
});

describe('a pipeline budget with a bad mixture weight', () => {
  it.each([
    [{ instruction: { vqa: 0 } }, 'weights.instruction.vqa'],
    [{ alignmentComprehension: { vqa: 2 } }, 'weights.alignmentComprehension.vqa'], // not in that stage's data
    [{ instruction: { 'no-such-task': 2 } }, 'weights.instruction.no-such-task'],
  ])('fails with a typed error naming %j before stage 0 starts', async (weights, key) => {
    const phases: string[] = [];
    const budget = { ...PIPELINE_BUDGETS.test, stages: { ...PIPELINE_BUDGETS.test.stages, weights } };
    const err = await runPipeline({ budget, progress: false, onPhase: (p) => phases.push(p) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as TrainerError).code).toBe('ARGUMENT');
    expect((err as TrainerError).context.key).toBe(key);
    expect(phases).toEqual(['data']); // stage 0 never began
  });
});
