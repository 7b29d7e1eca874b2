import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineReport, VqaRadReport } from '@healthgpt/trainer';
import { writeFileAtomic } from '@healthgpt/tensor-core/base';
import type { ReportData } from '../report/types.js';
import { VERSION } from '../version.js';

/** What a training run writes into its folder (the trainer's layout): the model, and each stage's logs and checkpoints. */
export const TRAINING_DIRS = ['model', 'stages', 'stage0-decoder', 'stage0-vision', 'stage0-vq'] as const;

/** Remove what an earlier training run left in `out` (only the folders a run writes). */
export function clearTrainingDirs(out: string): void {
  for (const d of TRAINING_DIRS) rmSync(join(out, d), { recursive: true, force: true });
}

/** The file beside a trained model that records how it was trained (what a report of it shows). */
export const RUN_FILE = 'run.json';

/** How a model was trained: plain data, written beside the model and read back when a run is reused. */
export interface RunRecord {
  /** The `healthgpt` version that trained it. */
  version: string;
  /** What decides whether a later run may reuse it (pipeline, budget, preset, seed, data). */
  key: Record<string, unknown>;
  finishedAt: string;
  settings: Record<string, unknown>;
  stage0: ReportData['stage0'] | null;
  stages: { name: string; steps: number; skipped: number; seconds: number; trainableParameters: number }[];
  lossCurves: Record<string, number[]>;
  /** Wall-clock seconds of the training phases (evaluation is not part of it). */
  timings: Record<string, number>;
}

type Trained = Pick<PipelineReport, 'stage0' | 'stages' | 'timings'> & { settings: PipelineReport['settings'] | VqaRadReport['settings'] };

/** Stage 0's evidence as the report shows it. */
function stage0Of(s: Trained['stage0']): NonNullable<ReportData['stage0']> {
  return {
    decoder: { perplexityBefore: s.decoder.perplexityBefore, perplexityAfter: s.decoder.perplexityAfter },
    vision: { probe: s.vision.probe },
    vq: s.vq ? { psnr: s.vq.psnr, ssim: s.vq.ssim, usedCodes: s.vq.usedCodes, codebookSize: s.vq.codebookSize } : null,
  };
}

/** The record of a finished training run (loss curves of every stage, stage 0 included). */
export function runRecord(r: Trained, key: Record<string, unknown>): RunRecord {
  const s0 = [r.stage0.decoder.stage, r.stage0.vision.stage, ...(r.stage0.vq ? [r.stage0.vq.stage] : [])];
  const lossCurves: Record<string, number[]> = {};
  for (const s of [...s0, ...r.stages]) lossCurves[s.name] = s.history.map((h) => h.loss);
  const { evaluate: _evaluate, total: _total, ...timings } = r.timings;
  return {
    version: VERSION,
    key,
    finishedAt: new Date().toISOString(),
    settings: r.settings as unknown as Record<string, unknown>,
    stage0: stage0Of(r.stage0),
    stages: [...s0, ...r.stages].map((s) => ({ name: s.name, steps: s.steps, skipped: s.skipped, seconds: s.seconds, trainableParameters: s.trainableParameters })),
    lossCurves,
    timings,
  };
}

export async function writeRunRecord(modelDir: string, rec: RunRecord): Promise<void> {
  await writeFileAtomic(join(modelDir, RUN_FILE), JSON.stringify(rec, null, 1) + '\n');
}

/**
 * The record beside `modelDir` when a run with the same key (and the same `healthgpt` version)
 * made it: what a later run may honestly reuse. Null otherwise (no model, another key, unreadable).
 */
export function reusableRun(modelDir: string, key: Record<string, unknown>): RunRecord | null {
  const file = join(modelDir, RUN_FILE);
  if (!existsSync(file) || !existsSync(join(modelDir, 'config.json'))) return null;
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
    return rec.version === VERSION && JSON.stringify(rec.key) === JSON.stringify(key) ? rec : null;
  } catch {
    return null;
  }
}
