/**
 * How fast the comprehension path learns paired closed questions (`questionPairSamples`) on their
 * own, from the stage 0 of an earlier `healthgpt demo --out DIR` run: assembles the model as
 * `generation_from_run.ts` does, trains the selected parts (`--train plugin,projector` — stage 3's
 * selection — or `all`: the decoder's layers, embeddings and the projector) on the training images'
 * pairs of `--types` for `--steps` at `--lr`, and prints the loss every 20 steps and the held-out
 * pairs' accuracy per type before and after:
 *   node --import tsx packages/trainer/scripts/pairs_probe.ts --run DIR [--seed 0] [--steps 200]
 *     [--lr 1e-3] [--types modality,organ,plane] [--train plugin,projector|all]
 */
import { parseArgs } from 'node:util';
import { initBackend } from '@healthgpt/tensor-core';
import type { QuestionType, Sample } from '@healthgpt/vl-health';
import { PIPELINE_BUDGETS, syntheticData, encodeSamples, bySubtask, healthGPTTasks, Trainer, assembleModel, healthGPTSelectors, questionPairSamples } from '../src/index.js';
import { stage0OfRun } from './stage0_of_run.js';

const { values: args } = parseArgs({ options: { run: { type: 'string' }, seed: { type: 'string', default: '0' }, steps: { type: 'string', default: '200' }, lr: { type: 'string', default: '1e-3' }, types: { type: 'string', default: 'modality,organ,plane' }, train: { type: 'string', default: 'plugin,projector' } } });
if (!args.run) throw new Error('--run DIR is required');
const seed = Number(args.seed);
await initBackend();
const { tokenizer, decoder, visionTower, vq, imageTokens: ids } = await stage0OfRun(args.run);
const data = syntheticData('tiny', PIPELINE_BUDGETS.demo.scenes, seed);
decoder.resizeTokenEmbeddings(tokenizer.length, ids.start);
const model = assembleModel({ tokenizer: tokenizer as never, decoder, visionTower, vq }, 'tiny', { seed, alignedGeneration: true });
const types = args.types!.split(',') as QuestionType[];
const trainPairs = questionPairSamples(data.train, types, seed + 11);
const testPairs: Sample[] = questionPairSamples(data.heldOut, types, seed + 12);
console.error(`pairs: ${trainPairs.length} training, ${testPairs.length} held out`);
const groups = bySubtask(await encodeSamples(model, trainPairs, data.images));
const h = healthGPTSelectors(model);
const trainable = args.train === 'all' ? ['model.layers.**', 'model.mm_projector.**', 'model.embed_tokens.weight'] : args.train!.split(',').map((p) => (p === 'plugin' ? h.plugin('comprehension') : h.projector('comprehension')));
/** Held-out pair accuracy, in all and per question type (right / asked). */
async function heldOutAccuracy() {
  let right = 0;
  const byType: Record<string, [number, number]> = {};
  for (let i = 0; i < testPairs.length; i += 16) {
    const chunk = testPairs.slice(i, i + 16);
    const reqs = await Promise.all(chunk.map(async (s) => ({ images: [await data.images(s.images[0])], question: s.conversations[0].value.replace('<image>\n', '') })));
    model.comprehendBatch(reqs, { task: 'comprehension', maxNewTokens: 4 }).forEach((o, k) => {
      const ok = o.text.trim().toLowerCase().startsWith(chunk[k].conversations[1].value);
      const t = String(chunk[k].metadata.questionType);
      byType[t] ??= [0, 0];
      byType[t][0] += ok ? 1 : 0;
      byType[t][1]++;
      right += ok ? 1 : 0;
    });
  }
  return { accuracy: +(right / testPairs.length).toFixed(3), byType };
}
try {
  console.log('before', JSON.stringify(await heldOutAccuracy()));
  const run = await new Trainer({ model, tasks: healthGPTTasks(model, groups), progress: false }).run([{ name: 'pairs', trainable, lr: Number(args.lr), batchSize: 8, clipNorm: 1, length: { steps: Number(args.steps) }, schedule: { kind: 'cosine', warmupRatio: 0.03 }, seed }]);
  const loss = run.stages[0].history.map((x) => x.loss);
  const means: string[] = [];
  for (let i = 0; i < loss.length; i += 20) means.push((loss.slice(i, i + 20).reduce((a, b) => a + b, 0) / loss.slice(i, i + 20).length).toFixed(3));
  console.log('loss per 20 steps', means.join(' '));
  console.log('after', JSON.stringify(await heldOutAccuracy()), `(${run.stages[0].seconds.toFixed(0)} s)`);
} finally {
  model.dispose();
}
