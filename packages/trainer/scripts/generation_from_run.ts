/**
 * The demo's stages 1–3 and evaluation again from the stage 0 of an earlier `healthgpt demo --out
 * DIR` run (its stage-0 decoder checkpoint after the language model, and the tokenizer, vision
 * tower and VQ tokenizer of its trained model, which stages 1–3 never train), with
 * `aligned_generation` off or on, stage 0's question phase (`--questions N` steps, trained here on
 * that decoder), the comprehension alignment's steps and stage 3's VQA weight and steps. A paired A/B of the generation or
 * comprehension levers without training the VQ tokenizer again:
 *   node --import tsx packages/trainer/scripts/generation_from_run.ts --run DIR [--seed 0]
 *     [--aligned on|off] [--questions N] [--vqa-weight W] [--instruction STEPS] [--alignment STEPS] [--fusion SUBTASK,…]
 *     [--projector-scale K] [--align-data SUBTASK,…] [--pairs TYPE,…|none] [--pairs-weight W]
 * `--projector-scale K` multiplies the assembled comprehension projector's output layer by K before
 * stages 1–3 (an experiment on the size of its features against the token embeddings');
 * `--align-data` sets the comprehension alignment's subtasks (default caption, report).
 * `--pairs` sets the question types paired about each training image (`questionPairSamples`;
 * default the budget's `questionPairs`, `none` for no pairs) and `--pairs-weight` their stage-3
 * mixture weight (default the budget's).
 * Unset options keep the `demo` budget's. Prints the demo's bar (closed accuracy against
 * question-only with the sign test; generation SSIM against identity), the described accuracy
 * after the question phase, closed accuracy per question type, how many VQA answers change when
 * the image is swapped for another scene's, and the phase timings as one JSON line.
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { initBackend, tf } from '@healthgpt/tensor-core';
import { IMAGE_PLACEHOLDER } from '@healthgpt/decoder';
import { QUESTION_TYPES, type QuestionType, type Sample } from '@healthgpt/vl-health';
import type { HealthGPT } from '@healthgpt/model';
import { questionPairSamples, type ImageResolver, PIPELINE_BUDGETS, syntheticData, evalSubset, encodeSamples, bySubtask, healthGPTTasks, paperStages, Trainer, evaluate, assembleModel, demoBar } from '../src/index.js';
import { sceneQuestions, describedQuestionTask, describedAccuracy, packDocuments, languageModelTask, sampleDocuments } from '../src/index.js';
import { stage0OfRun } from './stage0_of_run.js';

/** Closed accuracy per question type: model / question-only (n). */
const closedByType = (ev: Awaited<ReturnType<typeof evaluate>>) => {
  const row = ev.comprehension.find((r) => r.subtask === 'vqa' && r.answerType === 'CLOSED');
  return Object.fromEntries(Object.entries(row?.byQuestionType ?? {}).map(([t, v]) => [t, `${Math.round(100 * v.accuracy)} / ${Math.round(100 * v.baselines.questionOnly)} (${v.n})`]));
};
/** VQA answers that change when each question is asked with another held-out scene's image (the next but 36 in order) instead of its own. */
async function imageSwap(model: HealthGPT, qs: Sample[], images: ImageResolver): Promise<string> {
  const text = (s: Sample) => s.conversations[0].value.split(IMAGE_PLACEHOLDER).join('').trim();
  const answers = async (imageOf: (i: number) => string) => {
    const out: string[] = [];
    for (let i = 0; i < qs.length; i += 8) {
      const reqs = await Promise.all(qs.slice(i, i + 8).map(async (s, k) => ({ images: [await images(imageOf(i + k))], question: text(s) })));
      out.push(...model.comprehendBatch(reqs, { task: 'comprehension', maxNewTokens: 16 }).map((r) => r.text.trim()));
    }
    return out;
  };
  const own = await answers((i) => qs[i].images[0]);
  const other = await answers((i) => qs[(i + 37) % qs.length].images[0]);
  return `${own.filter((a, i) => a !== other[i]).length} of ${qs.length}`;
}
const { values: args } = parseArgs({ options: { run: { type: 'string' }, seed: { type: 'string', default: '0' }, aligned: { type: 'string', default: 'on' }, questions: { type: 'string' }, 'vqa-weight': { type: 'string' }, instruction: { type: 'string' }, alignment: { type: 'string' }, 'projector-scale': { type: 'string' }, 'align-data': { type: 'string' }, fusion: { type: 'string' }, pairs: { type: 'string' }, 'pairs-weight': { type: 'string' } } });
if (!args.run) throw new Error('--run DIR is required');
const seed = Number(args.seed);
const budget = PIPELINE_BUDGETS.demo;
const questionSteps = args.questions ? Number(args.questions) : (budget.stage0.decoder.questionSteps ?? 0);
const instructionWeights = { ...budget.stages.weights?.instruction, ...(args['vqa-weight'] ? { vqa: Number(args['vqa-weight']) } : {}), ...(args['pairs-weight'] ? { 'vqa-pairs': Number(args['pairs-weight']) } : {}) };
const pairTypes = (args.pairs === undefined ? (budget.stages.questionPairs ?? []) : args.pairs === 'none' ? [] : args.pairs.split(',')) as QuestionType[];
if (pairTypes.some((t) => !QUESTION_TYPES.includes(t))) throw new Error(`--pairs: question types are ${QUESTION_TYPES.join(', ')}`);
const weights = { ...budget.stages.weights, instruction: pairTypes.length ? instructionWeights : Object.fromEntries(Object.entries(instructionWeights).filter(([k]) => k !== 'vqa-pairs')) };
const s0 = budget.stage0.decoder;
console.error('backend', JSON.stringify(await initBackend()));
const { tokenizer, decoder, visionTower, vq, imageTokens: ids, template } = await stage0OfRun(args.run);

const data = syntheticData('tiny', budget.scenes, seed);
const t: Record<string, number> = {};
let mark = performance.now();
const lap = (k: string) => ((t[k] = +((performance.now() - mark) / 1000).toFixed(1)), (mark = performance.now()));
let described: number | null = null;
if (questionSteps > 0) {
  const lmSpec = { trainable: ['**'], lr: s0.lr, weightDecay: 0.01, batchSize: s0.batchSize, clipNorm: 1, schedule: { kind: 'cosine', warmupRatio: 0.05, floor: 0.1 }, seed } as const;
  const rows = packDocuments(tokenizer, sampleDocuments(data.train), s0.seqLen);
  await new Trainer({ model: decoder, tasks: [languageModelTask(decoder, rows), describedQuestionTask(decoder, tokenizer, template, sceneQuestions(data.train, seed))], progress: false }).run([
    { ...lmSpec, name: 'stage0-decoder-questions', mixture: { text: 1, 'described-questions': 1 }, length: { steps: questionSteps } },
  ]);
  described = describedAccuracy(decoder, tokenizer, template, sceneQuestions(data.heldOut, seed + 1)).accuracy;
  lap('questions');
}
decoder.resizeTokenEmbeddings(tokenizer.length, ids.start); // the image tokens' rows at the mean of the others, as assembling does
const model = assembleModel({ tokenizer: tokenizer as never, decoder, visionTower, vq }, 'tiny', { seed, alignedGeneration: args.aligned === 'on' });
if (args['projector-scale']) {
  // experiment: the comprehension projector's output layer scaled (its features against the token embeddings' size)
  const k = Number(args['projector-scale']);
  for (const [n, p] of model.namedParameters()) if (n.startsWith('model.mm_projector.2.')) p.assign(tf.mul(p, k));
}
try {
  const pairs = questionPairSamples(data.train, pairTypes, seed);
  const groups = bySubtask(await encodeSamples(model, [...data.train, ...pairs], data.images));
  lap('encode');
  // --alignment: the comprehension alignment's steps (the generation alignment keeps its own)
  const steps = { ...budget.stages, instruction: args.instruction ? Number(args.instruction) : budget.stages.instruction, ...(args.alignment ? { alignment: Number(args.alignment), alignmentGeneration: budget.stages.alignmentGeneration ?? budget.stages.alignment } : {}) };
  const stages = paperStages(model, { steps, batchSize: budget.stages.batchSize, lrScale: budget.stages.lrScale, data: { ...budget.stages.data, ...(args.fusion ? { fusion: args.fusion.split(',') } : {}), ...(args['align-data'] ? { alignmentComprehension: args['align-data'].split(',') } : {}) }, weights, available: [...groups.keys()], seed });
  const run = await new Trainer({ model, tasks: healthGPTTasks(model, groups), progress: false }).run(stages);
  lap('stages');
  const ev = await evaluate(model, evalSubset(data.heldOut, budget.evalPerSubtask), { images: data.images, train: data.train });
  lap('evaluate');
  const bar = demoBar(ev);
  const swapped = await imageSwap(model, evalSubset(data.heldOut, budget.evalPerSubtask).filter((s) => s.subtask === 'vqa'), data.images);
  lap('swap');
  console.log(JSON.stringify({ run: args.run, seed, pairs: pairTypes, pairSamples: pairs.length, aligned: args.aligned, questionSteps, weights, instruction: steps.instruction, alignment: steps.alignment, projectorScale: args['projector-scale'], alignData: args['align-data'], fusion: args.fusion, described, comprehension: bar.comprehension, closedByType: closedByType(ev), imageSwapChanged: swapped, generation: bar.generation, stageSeconds: Object.fromEntries(run.stages.map((s) => [s.name, +s.seconds.toFixed(1)])), seconds: t, load: loadavg()[0] }));
} finally {
  model.dispose();
}
