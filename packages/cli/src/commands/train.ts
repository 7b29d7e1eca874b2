import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Context } from '../program.js';
import { CliError } from '../errors.js';
import { existingDir, intOption } from '../util/args.js';
import { note, percent, say } from '../util/io.js';
import { startBackend } from '../util/backend.js';
import { TRAIN_PRESETS, type TrainPreset } from '../training/config.js';

interface TrainOptions {
  preset?: TrainPreset;
  config?: string;
  out: string;
  data?: string;
  seed?: number;
  force?: boolean;
}

const PHASE_NAMES: Record<string, string> = { data: 'reading the data', stage0: 'stage 0: tokenizer, decoder, vision tower (and VQ tokenizer)', assemble: 'assembling HealthGPT', encode: 'encoding the training samples', stages: 'stages 1–3', evaluate: 'evaluating on held-out samples' };

/**
 * `healthgpt train`: stage 0 and stages 1–3 from nothing, by a preset (`demo`, `quick`, `test` on
 * the synthetic set; `vqa-rad` on the VQA-RAD release, validation held out by image) or a config
 * file; writes the model, the training logs and a report of the held-out evaluation.
 */
export function trainCommand(ctx: Context): Command {
  return new Command('train')
    .description('train HealthGPT from nothing (stage 0, stages 1–3) by a preset or a config file; writes DIR/model, the logs and checkpoints of every stage and a report of the held-out evaluation')
    .addOption(new Option('--preset <name>', 'demo, quick or test (the synthetic set, as healthgpt demo), or vqa-rad (the VQA-RAD release in --data)').choices(TRAIN_PRESETS).conflicts('config'))
    .option('--config <file>', 'a JSON training config: {"pipeline": "synthetic" | "vqa-rad", "model": "tiny" | "small", "seed", "budget", "data", "validation"}')
    .requiredOption('--out <dir>', 'the run folder (model/, each stage\'s logs and checkpoints, report.html, metrics.json)')
    .option('--data <dir>', 'the data folder (vqa-rad: the official release, "VQA_RAD Dataset Public.json" and its image folder)')
    .option('--seed <n>', 'overrides the preset\'s or config\'s seed', intOption('--seed', 0, 2 ** 31))
    .option('--force', 'replace a model an earlier run left in --out')
    .action(async (o: TrainOptions) => {
      CliError.check(o.preset !== undefined || o.config !== undefined, 'USAGE', 'name a --preset or a --config file');
      const { presetConfig, readTrainConfig } = await import('../training/config.js');
      const config = o.config ? readTrainConfig(o.config) : presetConfig(o.preset!);
      const seed = o.seed ?? config.seed;
      const out = resolve(o.out);
      const modelDir = join(out, 'model');
      CliError.check(o.force || !existsSync(modelDir) || readdirSync(modelDir).length === 0, 'USAGE', `--out ${o.out} already holds a model (model/): pass --force to replace it, or another --out`);
      let dataDir: string | undefined;
      if (config.pipeline === 'vqa-rad') {
        CliError.check(o.data !== undefined || config.data !== undefined, 'USAGE', 'the vqa-rad pipeline needs --data DIR: the VQA-RAD release folder (healthgpt data fetch vqa-rad --out DIR)');
        dataDir = existingDir('--data', o.data ?? config.data!);
      }
      const { Phases } = await import('../training/phases.js');
      const phases = new Phases(ctx.io);
      phases.begin('startup', 'starting the tensor backend');
      const backend = await startBackend(ctx.globals());
      const tr = await import('@healthgpt/trainer');
      const { runRecord, writeRunRecord, clearTrainingDirs } = await import('../training/record.js');
      const { reportData } = await import('../training/report_data.js');
      const { trainerProgress } = await import('../training/progress.js');
      const { writeReport } = await import('../report/write.js');
      clearTrainingDirs(out);
      const common = { preset: config.model, seed, outDir: out, progress: await trainerProgress(ctx.io, ctx.globals().progress), onPhase: (p: string) => phases.begin(p, PHASE_NAMES[p] ?? p) };
      const r =
        config.pipeline === 'synthetic'
          ? await tr.runPipeline({ ...common, budget: config.budget })
          : await tr.runVqaRad({ ...common, dataDir: dataDir!, validation: config.validation, budget: config.budget ?? tr.VQA_RAD_BUDGET });
      phases.end();
      const model = r.model;
      try {
        Object.assign(phases.seconds, Object.fromEntries(Object.entries(r.timings).filter(([k]) => k !== 'total')));
        const run = runRecord(r, { pipeline: config.pipeline, config, seed });
        // The pipeline saved the model in <out>/model; how it was trained goes beside it.
        await writeRunRecord(modelDir, run);
        phases.begin('report', 'writing the report');
        // The evaluated samples (for the report's example images): vqa-rad's validation split as the
        // run made it; the synthetic set's again, by the same deterministic split.
        let evaluated;
        let images;
        if ('split' in r) {
          evaluated = r.split.validation;
          images = r.images;
        } else {
          CliError.check(config.pipeline === 'synthetic', 'FAILED', 'a vqa-rad run without its split');
          const budget = typeof config.budget === 'string' ? tr.PIPELINE_BUDGETS[config.budget] : config.budget;
          const data = tr.syntheticData(config.model, budget.scenes, seed);
          evaluated = tr.evalSubset(data.heldOut, budget.evalPerSubtask);
          images = data.images;
        }
        phases.end();
        const command = `healthgpt train ${o.config ? `--config ${o.config}` : `--preset ${o.preset}`} --out ${o.out}${o.data ? ` --data ${o.data}` : ''}${o.seed !== undefined ? ` --seed ${o.seed}` : ''}`;
        const d = await reportData({
          title: config.pipeline === 'vqa-rad' ? 'HealthGPT.ts on VQA-RAD: trained from nothing, validated on held-out images' : 'HealthGPT.ts: trained from nothing on synthetic phantoms',
          command,
          run,
          evaluation: r.evaluation,
          evaluated,
          images,
          backend,
          timings: phases.seconds,
          reused: [],
          files: { model: modelDir, 'training logs and checkpoints': out },
          verdict: config.pipeline === 'synthetic',
        });
        const files = await writeReport(out, d);
        if ('accuracy' in r) {
          const a = r.accuracy;
          const beside = (k: 'closed' | 'open' | 'all') => `${percent(a[k])} (majority ${percent(a.majority[k])}, question-only ${percent(a.questionOnly[k])})`;
          say(ctx.io, `validation (${r.settings.validation} questions on ${r.settings.validationImages} held-out images${r.settings.test ? `; the release's ${r.settings.test} test questions left out` : ''}): closed ${beside('closed')}, open ${beside('open')}, all ${beside('all')}`);
        } else {
          const { verdictLine } = await import('./demo.js');
          say(ctx.io, verdictLine(d));
        }
        say(ctx.io, `model: ${modelDir}`);
        say(ctx.io, `report: ${files.html}`);
        note(ctx.io, `metrics: ${files.metrics}`);
      } finally {
        model.dispose();
      }
    });
}
