import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Context } from '../program.js';
import { intOption } from '../util/args.js';
import { note, percent, say, table } from '../util/io.js';
import { startBackend } from '../util/backend.js';
import { loadModel } from '../util/model.js';
import { DATASETS, type DatasetKind } from '../data/datasets.js';
import type { ComprehensionRowLike, GenerationRowLike } from '../report/types.js';

interface EvalOptions {
  model: string;
  dataset: DatasetKind;
  data: string;
  split: string;
  json?: string;
  limit?: number;
  maxNewTokens: number;
  seed: number;
  int8?: boolean;
}

const BASELINE_NAMES: Record<string, string> = { majority: 'majority', questionOnly: 'question-only' };
const num = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

/** The comprehension table for the terminal: the model beside every baseline, per subtask and answer type. */
export function comprehensionLines(rows: readonly ComprehensionRowLike[]): string {
  const baselines = [...new Set(rows.flatMap((r) => Object.keys(r.baselines)))];
  const out = [['subtask', 'answers', 'n', 'metric', 'model', ...baselines.map((b) => BASELINE_NAMES[b] ?? b)]];
  for (const r of rows) {
    type Scores = ComprehensionRowLike['baselines'][string];
    const metrics: [string, (x: Scores) => number | undefined, (x?: number) => string][] = [];
    if (r.bleu4 !== undefined) metrics.push(['BLEU-4', (x) => x.bleu4, (x) => num(x)], ['ROUGE-L', (x) => x.rougeL, (x) => num(x)]);
    else {
      metrics.push(['accuracy', (x) => x.accuracy, percent]);
      if (r.recall !== undefined) metrics.push(['token recall', (x) => x.recall, percent]);
    }
    for (const [label, pick, fmt] of metrics) out.push([r.subtask, r.answerType.toLowerCase(), String(r.n), label, fmt(pick(r)), ...baselines.map((b) => fmt(r.baselines[b] ? pick(r.baselines[b]) : undefined))]);
  }
  return table(out);
}

/** The generation table for the terminal: the model beside the identity baseline. */
export function generationLines(rows: readonly GenerationRowLike[]): string {
  return table([['task', 'n', 'SSIM', 'identity', 'PSNR dB', 'identity'], ...rows.map((g) => [g.subtask, String(g.n), num(g.model.ssim), num(g.identity.ssim), num(g.model.psnr, 2), num(g.identity.psnr, 2)])]);
}

/** `healthgpt eval`: a model on a split of a data set, every metric beside its blind baselines. */
export function evalCommand(ctx: Context): Command {
  return new Command('eval')
    .description('evaluate a model on a split of a data set (synth, vqa-rad or llava), each metric beside the majority-answer, question-only and identity baselines of the same split')
    .requiredOption('--model <dir>', 'a model folder (e.g. healthgpt-demo/model)')
    .addOption(new Option('--dataset <kind>', 'the data set\'s layout').choices(DATASETS).makeOptionMandatory())
    .requiredOption('--data <dir>', 'the data set\'s folder')
    .option('--split <name>', 'synth: train, test, all; vqa-rad: test, train, validation (held out by the vqa-rad preset), train-part; llava: <split>.json(l)', 'test')
    .option('--json <file>', 'also write the results as JSON (closed_accuracy, open_accuracy, all_accuracy, …, the baselines and the full tables)')
    .option('--limit <n>', 'evaluate at most n samples per subtask', intOption('--limit', 1, 10_000_000))
    .option('--max-new-tokens <n>', 'longest answer in tokens', intOption('--max-new-tokens', 1, 4096), 48)
    .option('--seed <n>', 'the seed of the vqa-rad validation split (as the preset\'s)', intOption('--seed', 0, 2 ** 31), 0)
    .option('--int8', 'load the weights as int8')
    .action(async (o: EvalOptions) => {
      await startBackend(ctx.globals()); // before the data: the vqa-rad validation split is the trainer's
      const { loadSplit } = await import('../data/datasets.js');
      const split = await loadSplit(o.dataset, o.data, o.split, { seed: o.seed });
      const tr = await import('@healthgpt/trainer');
      const samples = o.limit ? tr.evalSubset(split.samples, o.limit) : split.samples;
      note(ctx.io, `evaluating ${samples.length} samples of ${o.dataset} ${o.split} (baselines learned from ${split.baselineFrom.what}, ${split.baselineFrom.samples.length} samples)`);
      const model = await loadModel(o.model, { int8: o.int8 });
      try {
        const t0 = performance.now();
        const r = await tr.evaluate(model, samples, { images: split.images, train: split.baselineFrom.samples, maxNewTokens: o.maxNewTokens });
        const seconds = (performance.now() - t0) / 1000;
        if (r.comprehension.length) say(ctx.io, comprehensionLines(r.comprehension));
        if (r.generation.length) say(ctx.io, (r.comprehension.length ? '\n' : '') + generationLines(r.generation));
        say(ctx.io, `\n${samples.length} samples in ${seconds.toFixed(1)} s; baselines (never looking at the image) learned from ${split.baselineFrom.what}`);
        if (o.json) {
          const { evalSummary } = await import('../report/eval_summary.js');
          const { writeFileAtomic } = await import('@healthgpt/tensor-core/base');
          const file = resolve(o.json);
          await writeFileAtomic(file, JSON.stringify(evalSummary({ dataset: o.dataset, split: o.split, model: resolve(o.model), comprehension: r.comprehension, generation: r.generation, baselinesFrom: split.baselineFrom.what, seconds, n: samples.length }), null, 2) + '\n');
          note(ctx.io, `wrote ${file}`);
        }
      } finally {
        model.dispose();
      }
    });
}
