/** Run the pipeline with a named budget and print the report's numbers: `node --import tsx packages/trainer/scripts/demo.ts quick`. */
import { initBackend } from '@healthgpt/tensor-core';
import { runPipeline, type PipelineBudget } from '../src/index.js';

const name = (process.argv[2] ?? 'quick') as 'demo' | 'quick' | 'test';
const info = await initBackend();
console.log('backend', JSON.stringify(info));
const r = await runPipeline({ budget: name, progress: 'auto', onPhase: (p) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${p}`) });
const { model, evaluation, ...rest } = r;
const first = (xs: number[]) => xs.slice(0, 3).map((x) => x.toFixed(3));
const last = (xs: number[]) => xs.slice(-3).map((x) => x.toFixed(3));
for (const [k, v] of Object.entries(rest.lossCurves)) console.log('loss', k, first(v), '→', last(v));
console.log('stage0', JSON.stringify({ dec: [rest.stage0.decoder.perplexityBefore, rest.stage0.decoder.perplexityAfter], probe: rest.stage0.vision.probe, vq: rest.stage0.vq && { psnr: rest.stage0.vq.psnr, ssim: rest.stage0.vq.ssim, used: rest.stage0.vq.usedCodes }, seconds: rest.stage0.seconds }));
console.log('comprehension', JSON.stringify(evaluation.comprehension, null, 0));
console.log('generation', JSON.stringify(evaluation.generation, null, 0));
console.log('examples', JSON.stringify(evaluation.examples.comprehension.slice(0, 8)));
console.log('bar', JSON.stringify(rest.bar));
console.log('timings', JSON.stringify(rest.timings), 'budget', JSON.stringify(rest.settings.budget as PipelineBudget));
model.dispose();
