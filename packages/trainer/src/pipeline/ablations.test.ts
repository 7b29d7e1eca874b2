import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ablatePluginKinds, ablateTrainingSchedule, pluginTasks, runStage0, syntheticData, PIPELINE_BUDGETS, type AblationTable, type PipelineBudget, type Stage0Parts, type SyntheticData } from '../index.js';

// The smallest run that still goes through every stage of every variant: the tables' shape and
// settings are checked here; their figures come from a real budget (README).
const budget: PipelineBudget = {
  ...PIPELINE_BUDGETS.test,
  scenes: 24,
  stage0: { decoder: { steps: 2, batchSize: 8, lr: 3e-3, seqLen: 32 }, vision: { steps: 2, batchSize: 8, lr: 1e-3 }, vq: { steps: 2, batchSize: 4, lr: 2e-3 } },
  stages: { alignment: 1, fusion: 1, instruction: 2, batchSize: 2, lrScale: 20 },
  evalPerSubtask: 1,
};

describe('the paper’s ablations at small scale, one call each, sharing one stage 0', () => {
  let data: SyntheticData;
  let parts: Stage0Parts;
  let plugins: AblationTable;
  let schedule: AblationTable;
  const weightsBefore = new Map<string, Float32Array>();

  beforeAll(async () => {
    const all = syntheticData('tiny', budget.scenes, 0);
    // evaluated: one closed question and one super-resolution (evaluation dominates a run this short)
    const vqa = all.heldOut.find((x) => x.subtask === 'vqa' && String(x.metadata.answerType ?? x.metadata.answer_type).toUpperCase() === 'CLOSED')!;
    const sr = all.heldOut.find((x) => x.subtask === 'super-resolution')!;
    data = { ...all, heldOut: [vqa, sr] };
    parts = await runStage0({ preset: 'tiny', train: data.train, heldOut: all.heldOut, images: data.images, budget: budget.stage0, progress: false });
    for (const [n, p] of parts.decoder.namedParameters()) weightsBefore.set(n, Float32Array.from(p.dataSync()));
    plugins = await ablatePluginKinds({ budget, stage0: { data, parts } });
    schedule = await ablateTrainingSchedule({ budget, stage0: { data, parts } });
  }, 1_200_000);
  afterAll(() => {
    parts?.decoder.dispose();
    parts?.visionTower.dispose();
    parts?.vq?.dispose();
  });

  it('H-LoRA vs LoRA vs MoE-LoRA: a row per kind with quality and time per step, at the same rank budget', () => {
    expect(plugins.rows.map((r) => r.setting)).toEqual(['H-LoRA', 'LoRA', 'MoE-LoRA']);
    for (const r of plugins.rows) {
      expect(r.msPerStep).toBeGreaterThan(0);
      expect(r.closed).toBeGreaterThanOrEqual(0);
      expect(r.closed).toBeLessThanOrEqual(1);
      expect(Object.keys(r.ssim)).toEqual(['super-resolution']);
      expect(r.ssim['super-resolution']).toBeGreaterThan(-1);
    }
    // same total rank: LoRA has H-LoRA's A and B, without the router
    const [h, l] = plugins.rows;
    expect(h.trainableParameters).toBeGreaterThan(l.trainableParameters);
    const [lora, hlora, moe] = (['lora', 'hlora', 'moe-lora'] as const).map((k) => pluginTasks('tiny', k));
    for (const name of Object.keys(hlora).filter((n) => hlora[n].plugin)) {
      expect([lora[name].plugin!.adapter_kind, lora[name].plugin!.r, lora[name].plugin!.lora_nums]).toEqual(['lora', hlora[name].plugin!.r, undefined]);
      expect([moe[name].plugin!.adapter_kind, moe[name].plugin!.r, moe[name].plugin!.lora_nums]).toEqual(['moe-lora', hlora[name].plugin!.r, hlora[name].plugin!.lora_nums]);
    }
  });

  it('three-stage vs mixed: a row each, from the same stage 0', () => {
    expect(schedule.rows.map((r) => r.setting)).toEqual(['three-stage', 'mixed']);
    expect(schedule.rows.every((r) => r.trainSeconds > 0)).toBe(true);
  });

  it('writes each table in Markdown with the run’s settings, and leaves the shared stage 0 untouched', () => {
    for (const t of [plugins, schedule]) {
      const lines = t.markdown.split('\n');
      expect(lines[0]).toBe(`### ${t.name}`);
      expect(lines.filter((l) => l.startsWith('| ') && !l.startsWith('| setting')).length).toBe(t.rows.length);
      expect(t.markdown).toContain(`preset \`tiny\`, seed 0, ${budget.scenes} synthetic scenes`);
      expect(t.settings.budget).toEqual(budget);
    }
    expect(parts.decoder.namedParameters().filter(([n, p]) => !p.dataSync().every((v, i) => Object.is(v, weightsBefore.get(n)![i]))).map(([n]) => n)).toEqual([]);
  });
});
