/**
 * Stage 0's VQ part alone, as `healthgpt demo` runs it (the `tiny` preset's tokenizer on the
 * demo's synthetic set: 500 scenes, seed 0, split by image; `trainStage0Vq` with stage 0's
 * recipe), at any budget, with held-out PSNR / SSIM / codebook use every `--eval-every` steps and
 * the training time (wall and CPU seconds, evaluation excluded):
 *   node --import tsx packages/trainer/scripts/stage0_vq.ts [--budget demo|long] [--steps N] [--batch B] [--lr X] [--eval-every K]
 * `demo` is the demo's stage-0 VQ budget; `long` the longer run aimed at vq-tokenizer's 24 dB bar.
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { initBackend } from '@healthgpt/tensor-core';
import { healthGPTPreset } from '@healthgpt/model';
import { evaluateTokenizer, type VQTokenizer } from '@healthgpt/vq-tokenizer';
import { PIPELINE_BUDGETS, syntheticData } from '../src/index.js';
import { stage0VqImages, trainStage0Vq } from '../src/stage0/vq_stage.js';

const BUDGETS = { demo: PIPELINE_BUDGETS.demo.stage0.vq, long: { steps: 2000, batchSize: 8, lr: 3e-3 } };
const { values: args } = parseArgs({
  options: { budget: { type: 'string', default: 'demo' }, steps: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, 'eval-every': { type: 'string', default: '50' }, seed: { type: 'string', default: '0' } },
});
const named = BUDGETS[args.budget as keyof typeof BUDGETS];
if (!named) throw new Error(`--budget must be one of ${Object.keys(BUDGETS).join(', ')}, got '${args.budget}'`);
const budget = { steps: Number(args.steps ?? named.steps), batchSize: Number(args.batch ?? named.batchSize), lr: Number(args.lr ?? named.lr) };
const every = Number(args['eval-every']);
const seed = Number(args.seed);

console.error('backend', JSON.stringify(await initBackend()));
const data = syntheticData('tiny', PIPELINE_BUDGETS.demo.scenes, seed);
const train = await stage0VqImages(data.train, data.images);
const heldOut = await stage0VqImages(data.heldOut, data.images);
console.log(JSON.stringify({ budget, train: train.length, heldOut: heldOut.length }));

let model: VQTokenizer | null = null;
let wall = 0;
let cpu = 0;
let mark = { t: performance.now(), c: process.cpuUsage() };
const row = (step: number) => {
  const e = evaluateTokenizer(model!, heldOut);
  return { step, trainSeconds: +wall.toFixed(1), cpuSeconds: +cpu.toFixed(1), psnr: +e.psnr.toFixed(2), ssim: +e.ssim.toFixed(3), usedCodes: e.usedCodes, perplexity: +e.perplexity.toFixed(1), load: +loadavg()[0].toFixed(1) };
};
const { vq, eval: final } = await trainStage0Vq({
  config: healthGPTPreset('tiny').vq_config!,
  train,
  heldOut,
  budget,
  seed,
  onModel: (m) => (model = m),
  trainer: {
    progress: false,
    onStep: (r) => {
      const c = process.cpuUsage(mark.c);
      wall += (performance.now() - mark.t) / 1000;
      cpu += (c.user + c.system) / 1e6;
      if ((r.step + 1) % every === 0 && r.step + 1 < budget.steps) console.log(JSON.stringify(row(r.step + 1)));
      mark = { t: performance.now(), c: process.cpuUsage() };
    },
  },
});
console.log(JSON.stringify({ ...row(budget.steps), psnr: +final.psnr.toFixed(2), final: true }));
vq.dispose();
