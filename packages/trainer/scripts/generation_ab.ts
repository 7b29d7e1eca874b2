/**
 * The demo's generation with and without `aligned_generation`, from one stage 0 per seed: stage 0
 * at the demo budget (or `--vq-steps`), then for each setting a model assembled from copies of its
 * parts, stages 1–3 at the demo budget, and the demo's evaluation. Prints per seed and setting the
 * SSIM of every generation subtask against the identity baseline (with n), closed VQA accuracy,
 * and the phase timings (wall seconds), as JSON lines:
 *   node --import tsx packages/trainer/scripts/generation_ab.ts [--seeds 0,1] [--settings off,on] [--vq-steps N] [--budget demo|quick|test]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { initBackend } from '@healthgpt/tensor-core';
import { PIPELINE_BUDGETS, syntheticData, evalSubset, runStage0, encodeSamples, bySubtask, healthGPTTasks, paperStages, Trainer, evaluate, demoBar, cloneParts, assembleModel } from '../src/index.js';

const { values: args } = parseArgs({ options: { seeds: { type: 'string', default: '0,1' }, settings: { type: 'string', default: 'off,on' }, 'vq-steps': { type: 'string' }, budget: { type: 'string', default: 'demo' } } });
const budget = structuredClone(PIPELINE_BUDGETS[args.budget as keyof typeof PIPELINE_BUDGETS]);
if (args['vq-steps']) budget.stage0.vq.steps = Number(args['vq-steps']);
console.error('backend', JSON.stringify(await initBackend()));
for (const seed of args.seeds.split(',').map(Number)) {
  const t0 = performance.now();
  const data = syntheticData('tiny', budget.scenes, seed);
  const s0 = await runStage0({ preset: 'tiny', train: data.train, heldOut: data.heldOut, images: data.images, budget: budget.stage0, seed, progress: false });
  const stage0 = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ seed, stage0Seconds: stage0, vq: { psnr: s0.report.vq?.psnr, ssim: s0.report.vq?.ssim, usedCodes: s0.report.vq?.usedCodes }, load: loadavg()[0] }));
  for (const setting of args.settings.split(',')) {
    const t: Record<string, number> = {};
    let mark = performance.now();
    const lap = (k: string) => ((t[k] = (performance.now() - mark) / 1000), (mark = performance.now()));
    const model = assembleModel(await cloneParts(s0), 'tiny', { seed, alignedGeneration: setting === 'on' });
    try {
      const groups = bySubtask(await encodeSamples(model, data.train, data.images));
      lap('encode');
      const stages = paperStages(model, { steps: budget.stages, batchSize: budget.stages.batchSize, lrScale: budget.stages.lrScale, data: budget.stages.data, available: [...groups.keys()], seed });
      const run = await new Trainer({ model, tasks: healthGPTTasks(model, groups), progress: false }).run(stages);
      lap('stages');
      const ev = await evaluate(model, evalSubset(data.heldOut, budget.evalPerSubtask), { images: data.images, train: data.train });
      lap('evaluate');
      const bar = demoBar(ev);
      const gen = Object.fromEntries(ev.generation.map((g) => [g.subtask, { ssim: +g.model.ssim.toFixed(4), identity: +g.identity.ssim.toFixed(4), n: g.n }]));
      console.log(JSON.stringify({ seed, setting, generation: gen, closed: bar.comprehension.accuracy, stageSeconds: Object.fromEntries(run.stages.map((s) => [s.name, +s.seconds.toFixed(1)])), seconds: t, load: loadavg()[0] }));
    } finally {
      model.dispose();
    }
  }
  s0.decoder.dispose();
  s0.visionTower.dispose();
  s0.vq?.dispose();
}
