import type { BackendInfo, RawImage } from '@healthgpt/tensor-core';
import { demoBar, exactMatch, type EvalReport } from '@healthgpt/trainer';
import type { Sample } from '@healthgpt/vl-health';
import type { ComprehensionExampleLike, ReportData, VerdictLike } from '../report/types.js';
import type { RunRecord } from './record.js';

/** Examples the report shows per subtask: up to this many answered right and as many answered wrong. */
export const EXAMPLES_EACH = 3;

/**
 * The report's VQA examples: per subtask, up to `each` answered right and `each` answered wrong
 * (exact match after normalisation, as the accuracy counts them), with their images.
 */
export async function pickExamples(evaluation: EvalReport, samples: readonly Sample[], images: (p: string) => RawImage | Promise<RawImage>, each = EXAMPLES_EACH): Promise<ComprehensionExampleLike[]> {
  const byId = new Map(samples.map((s) => [s.id, s]));
  const out: ComprehensionExampleLike[] = [];
  const taken = new Map<string, number>();
  for (const e of evaluation.examples.comprehension) {
    const correct = exactMatch(e.prediction, e.reference) === 1;
    const k = `${e.subtask}/${correct}`;
    if ((taken.get(k) ?? 0) >= each) continue;
    taken.set(k, (taken.get(k) ?? 0) + 1);
    const s = byId.get(e.id);
    const answerType = s?.metadata.answerType ?? s?.metadata.answer_type;
    out.push({ ...e, correct, image: s?.images[0] ? await images(s.images[0]) : undefined, answerType: typeof answerType === 'string' ? answerType : undefined });
  }
  return out;
}

/** The demo's bar (the trainer's `demoBar`): comprehension above the question-only baseline beyond sampling noise; generation above identity on SSIM. */
export function verdictOf(evaluation: EvalReport): VerdictLike {
  return demoBar(evaluation);
}

export interface ReportInputs {
  title: string;
  command: string;
  run: RunRecord;
  evaluation: EvalReport;
  /** The evaluated samples (for the examples' images and answer types). */
  evaluated: readonly Sample[];
  images: (p: string) => RawImage | Promise<RawImage>;
  backend: BackendInfo;
  /** Wall-clock seconds of this process's phases (training phases come from `run` when it was made now). */
  timings: Record<string, number>;
  reused: ReportData['reused'];
  files: Record<string, string>;
  /** Extra settings of this run (e.g. the evaluation's split). */
  settings?: Record<string, unknown>;
  /** Whether to judge the run by the demo's bar. */
  verdict: boolean;
}

/** Everything a trained-and-evaluated run's report shows. */
export async function reportData(o: ReportInputs): Promise<ReportData> {
  const timings = { ...o.timings };
  timings.total = Object.values(timings).reduce((a, b) => a + b, 0);
  return {
    title: o.title,
    command: o.command,
    finishedAt: new Date().toISOString(),
    settings: { ...o.run.settings, ...o.settings, trainedAt: o.run.finishedAt, stages: o.run.stages },
    backend: { engine: o.backend.engine, matmul: o.backend.matmul.label, hint: o.backend.hint },
    timings,
    cpuSeconds: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    reused: o.reused,
    lossCurves: o.run.lossCurves,
    stage0: o.run.stage0 ?? undefined,
    comprehension: o.evaluation.comprehension,
    generation: o.evaluation.generation,
    examples: { comprehension: await pickExamples(o.evaluation, o.evaluated, o.images), generation: o.evaluation.examples.generation },
    verdict: o.verdict ? verdictOf(o.evaluation) : undefined,
    files: o.files,
  };
}
