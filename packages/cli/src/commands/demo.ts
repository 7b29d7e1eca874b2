import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Context } from '../program.js';
import { intOption } from '../util/args.js';
import { note, percent, printJson, say } from '../util/io.js';
import { startBackend } from '../util/backend.js';
import type { ReportData } from '../report/types.js';

export const DEMO_BUDGETS = ['demo', 'quick', 'test'] as const;
type DemoBudget = (typeof DEMO_BUDGETS)[number];

interface DemoOptions {
  out: string;
  quick?: boolean;
  budget?: DemoBudget;
  seed: number;
  fresh?: boolean;
  json?: boolean;
}


/** How the pipeline's phases are announced. */
const PHASE_NAMES: Record<string, string> = { data: 'the synthetic set', stage0: 'stage 0: tokenizer, decoder, vision tower, VQ tokenizer', assemble: 'assembling HealthGPT from the parts', encode: 'encoding the training samples', stages: 'stages 1–3', evaluate: 'evaluating on held-out samples' };

/** The demo's one-line verdict for the terminal. */
export function verdictLine(d: ReportData): string {
  const v = d.verdict!;
  const gen = Object.entries(v.generation).map(([t, g]) => `${t} SSIM ${g.ssim.toFixed(3)} vs identity ${g.identity.toFixed(3)} (n = ${g.n})`);
  return `closed questions ${percent(v.comprehension.accuracy)} vs question-only ${percent(v.comprehension.questionOnly)} (n = ${v.comprehension.n}, one-sided sign test p = ${v.comprehension.pValue.toPrecision(2)}); ${gen.join('; ')}: ${v.passed ? 'above every baseline' : 'NOT above every baseline'}`;
}

/**
 * `healthgpt demo`: the synthetic phantom set, stage 0 and stages 1–3 of the `tiny` HealthGPT
 * from nothing, evaluation on held-out images with baselines, and the report. A second run with the
 * same settings reuses the trained model (and says so in its report); `--fresh` trains again.
 */
export function demoCommand(ctx: Context): Command {
  return new Command('demo')
    .description('train the tiny HealthGPT from nothing on the synthetic set (stage 0, stages 1–3), evaluate it against baselines and write an HTML report: within 10 minutes on two cores, --quick about one')
    .option('--out <dir>', 'the run folder (report.html, metrics.json, model/, each stage\'s logs and checkpoints)', 'healthgpt-demo')
    .option('--quick', 'the quick budget: about a minute')
    .addOption(new Option('--budget <name>', 'the step budget: demo (default), quick (= --quick) or test (seconds, for CI; learns little)').choices(DEMO_BUDGETS))
    .option('--seed <n>', 'the seed of the data, the weights and the training', intOption('--seed', 0, 2 ** 31), 0)
    .option('--fresh', 'train again even when the run folder holds a model trained with the same settings')
    .option('--json', 'print the report\'s numbers (metrics.json) as JSON')
    .action(async (o: DemoOptions) => {
      const name: DemoBudget = o.budget ?? (o.quick ? 'quick' : 'demo');
      const out = resolve(o.out);
      const { Phases } = await import('../training/phases.js');
      const phases = new Phases(ctx.io);
      phases.begin('startup', 'starting the tensor backend');
      const backend = await startBackend(ctx.globals());
      const tr = await import('@healthgpt/trainer');
      const { HealthGPT } = await import('@healthgpt/model');
      const { reusableRun, runRecord, writeRunRecord, clearTrainingDirs } = await import('../training/record.js');
      const { reportData } = await import('../training/report_data.js');
      const { trainerProgress } = await import('../training/progress.js');
      const { writeReport, reportMetrics } = await import('../report/write.js');
      const budget = tr.PIPELINE_BUDGETS[name];
      const key = { pipeline: 'synthetic', preset: 'tiny', seed: o.seed, budget: name, steps: budget };
      const modelDir = join(out, 'model');
      const earlier = o.fresh ? null : reusableRun(modelDir, key);
      const reused: ReportData['reused'] = [];
      let run;
      let model;
      let evaluation;
      if (earlier) {
        phases.begin('load', `reusing the model trained ${earlier.finishedAt} in ${modelDir} (--fresh trains again)`);
        model = await HealthGPT.fromPretrained(modelDir);
        run = earlier;
        reused.push({ what: 'the trained model', detail: `${modelDir}, trained ${earlier.finishedAt} with the same budget, seed and healthgpt version; its loss curves, stage-0 figures and training time come from that run. The data set was made again and the model evaluated again now.` });
      } else {
        clearTrainingDirs(out);
        const r = await tr.runPipeline({ budget: name, preset: 'tiny', seed: o.seed, outDir: out, progress: await trainerProgress(ctx.io, ctx.globals().progress), onPhase: (p) => phases.begin(p, PHASE_NAMES[p] ?? p) });
        model = r.model;
        evaluation = r.evaluation;
        phases.end();
        Object.assign(phases.seconds, Object.fromEntries(Object.entries(r.timings).filter(([k]) => k !== 'total')));
        run = runRecord(r, key);
      }
      try {
        // The pipeline saved the model in <out>/model; how it was trained goes beside it.
        if (!earlier) await writeRunRecord(modelDir, run);
        // The synthetic set is deterministic: made again here, it is the set the model was trained and evaluated on.
        phases.begin(earlier ? 'data' : 'report', earlier ? 'the synthetic set' : 'writing the report');
        const data = tr.syntheticData('tiny', budget.scenes, o.seed);
        const evaluated = tr.evalSubset(data.heldOut, budget.evalPerSubtask);
        if (!evaluation) {
          phases.begin('evaluate', `evaluating on ${evaluated.length} held-out samples`);
          evaluation = await tr.evaluate(model, evaluated, { images: data.images, train: data.train });
        }
        if (earlier) phases.begin('report', 'writing the report');
        const command = `healthgpt demo${o.budget ? ` --budget ${o.budget}` : o.quick ? ' --quick' : ''}${o.out !== 'healthgpt-demo' ? ` --out ${o.out}` : ''}${o.seed ? ` --seed ${o.seed}` : ''}${o.fresh ? ' --fresh' : ''}`;
        phases.end();
        const d = await reportData({
          title: 'HealthGPT.ts demo: trained from nothing on synthetic phantoms',
          command,
          run,
          evaluation,
          evaluated,
          images: data.images,
          backend,
          timings: phases.seconds,
          reused,
          files: { model: modelDir, 'training logs and checkpoints': out },
          settings: { budgetName: name, heldOutEvaluated: evaluated.length },
          verdict: true,
        });
        const files = await writeReport(out, d);
        if (o.json) return printJson(ctx.io, reportMetrics({ ...d, files: { ...d.files, ...Object.fromEntries(Object.entries(files).filter(([, v]) => v)) } as Record<string, string> }));
        say(ctx.io, verdictLine(d));
        say(ctx.io, `report: ${files.html}`);
        note(ctx.io, `metrics: ${files.metrics}; model: ${modelDir} (try: healthgpt ask --model ${modelDir} --image IMAGE --question "Is there a lesion?")`);
      } finally {
        model.dispose();
      }
    });
}
