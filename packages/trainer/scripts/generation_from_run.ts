/**
 * The demo's stages 1–3 and evaluation again, from the stage 0 of an earlier `healthgpt demo --out
 * DIR` run: its stage-0 decoder checkpoint, and the tokenizer, vision tower and VQ tokenizer of its
 * trained model (stages 1–3 never train those three), with `aligned_generation` off or on. What a
 * paired A/B of the generation path costs without training stage 0 again:
 *   node --import tsx packages/trainer/scripts/generation_from_run.ts --run DIR [--seed 0] [--aligned on|off]
 * Prints the generation SSIM against identity (with n), the closed accuracy and the phase timings as one JSON line.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { initBackend } from '@healthgpt/tensor-core';
import { DecoderLM } from '@healthgpt/decoder';
import { CLIPVisionModel } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { HealthGPT, healthGPTPreset } from '@healthgpt/model';
import { PIPELINE_BUDGETS, syntheticData, evalSubset, encodeSamples, bySubtask, healthGPTTasks, paperStages, Trainer, evaluate, assembleModel } from '../src/index.js';
import { loadCheckpointWeights } from '../src/loop/checkpoint.js';

const { values: args } = parseArgs({ options: { run: { type: 'string' }, seed: { type: 'string', default: '0' }, aligned: { type: 'string', default: 'on' } } });
if (!args.run) throw new Error('--run DIR is required');
const seed = Number(args.seed);
const budget = PIPELINE_BUDGETS.demo;
console.error('backend', JSON.stringify(await initBackend()));
const trained = await HealthGPT.fromPretrained(join(args.run, 'model'));
const tokenizer = trained.tokenizer!;
const ids = trained.config.imageTokens!;
const ckptDir = join(args.run, 'stage0-decoder', 'checkpoints');
const ckpt = join(ckptDir, readdirSync(ckptDir).sort().pop()!);
const spec = healthGPTPreset('tiny');
const decoder = new DecoderLM({ ...spec.text_config, vocab_size: ids.start, bos_token_id: tokenizer.bosTokenId, eos_token_id: tokenizer.eosTokenId, pad_token_id: tokenizer.padTokenId ?? tokenizer.eosTokenId }, { init: false });
await loadCheckpointWeights(ckpt, decoder);
decoder.resizeTokenEmbeddings(tokenizer.length, ids.start); // the image tokens' rows at the mean of the others, as assembling does
const visionTower = new CLIPVisionModel(trained.visionTower.config, { init: false });
visionTower.loadStateDict(trained.visionTower.stateDict());
const vq = new VQTokenizer(trained.vq!.config, { init: false });
vq.loadStateDict(trained.vq!.stateDict());
trained.dispose();

const data = syntheticData('tiny', budget.scenes, seed);
const t: Record<string, number> = {};
let mark = performance.now();
const lap = (k: string) => ((t[k] = +((performance.now() - mark) / 1000).toFixed(1)), (mark = performance.now()));
const model = assembleModel({ tokenizer: tokenizer as never, decoder, visionTower, vq }, 'tiny', { seed, alignedGeneration: args.aligned === 'on' });
try {
  const groups = bySubtask(await encodeSamples(model, data.train, data.images));
  lap('encode');
  const stages = paperStages(model, { steps: budget.stages, batchSize: budget.stages.batchSize, lrScale: budget.stages.lrScale, data: budget.stages.data, available: [...groups.keys()], seed });
  const run = await new Trainer({ model, tasks: healthGPTTasks(model, groups), progress: false }).run(stages);
  lap('stages');
  const ev = await evaluate(model, evalSubset(data.heldOut, budget.evalPerSubtask), { images: data.images, train: data.train });
  lap('evaluate');
  const gen = Object.fromEntries(ev.generation.map((g) => [g.subtask, { ssim: +g.model.ssim.toFixed(4), identity: +g.identity.ssim.toFixed(4), n: g.n }]));
  const closed = ev.comprehension.find((r) => r.subtask === 'vqa' && r.answerType === 'CLOSED')?.accuracy;
  console.log(JSON.stringify({ run: args.run, seed, aligned: args.aligned, generation: gen, closed, stageSeconds: Object.fromEntries(run.stages.map((s) => [s.name, +s.seconds.toFixed(1)])), seconds: t, load: loadavg()[0] }));
} finally {
  model.dispose();
}
