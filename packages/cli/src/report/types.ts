import type { RawImage } from '@healthgpt/tensor-core/base';
import type { ComprehensionExample, ComprehensionRow, GenerationExample, GenerationRow, ImageScores } from '@healthgpt/trainer';

/**
 * The report renders what the trainer's `evaluate` returns: its row and example types, under the
 * names the report has always used.
 */
export type ImageScoresLike = ImageScores;
export type ComprehensionRowLike = ComprehensionRow;
export type GenerationRowLike = GenerationRow;
export type GenerationExampleLike = GenerationExample;

export interface ComprehensionExampleLike extends ComprehensionExample {
  /** Whether the prediction counts as right (the evaluation's exact match). */
  correct: boolean;
  /** The image asked about, when the evaluation kept it. */
  image?: RawImage;
  answerType?: string;
}

/** The bar a run is judged by: the model against its strongest blind baseline on each task. */
export interface VerdictLike {
  /**
   * `n`: the held-out closed questions compared; `wins` / `losses`: questions only the model /
   * only the baseline answers right; `pValue`: the one-sided sign test's (passed below 0.05).
   */
  comprehension: { accuracy: number; questionOnly: number; n: number; wins: number; losses: number; pValue: number; passed: boolean };
  /** `n`: the held-out samples of each task compared. */
  generation: Record<string, { ssim: number; identity: number; n: number; passed: boolean }>;
  passed: boolean;
}

/** Everything a run's report shows. Plain data: the demo, `train` and `eval` fill it in. */
export interface ReportData {
  title: string;
  /** The command that made the run, e.g. `healthgpt demo --quick`. */
  command: string;
  /** ISO time the run finished. */
  finishedAt: string;
  /** The run's settings (budgets, preset, seed, data sizes), shown as a table. */
  settings: Record<string, unknown>;
  backend: { engine: string; matmul: string; hint: string | null };
  /** Wall-clock seconds per phase (and `total`); `cpuSeconds`: the process's CPU time. */
  timings: Record<string, number>;
  cpuSeconds?: number;
  /** What this run took over from an earlier one instead of making it again (empty: everything was made now). */
  reused: { what: string; detail: string }[];
  /** Loss per optimizer step, by stage name, in the order the stages ran. */
  lossCurves: Record<string, number[]>;
  /** Evidence that stage 0's parts learned (optional: runs without stage 0 have none). */
  stage0?: {
    decoder: { perplexityBefore: number; perplexityAfter: number };
    /** Linear-probe accuracy per label (e.g. modality, organ), random tower and pretrained. */
    vision: { probe: { random: Record<string, number>; pretrained: Record<string, number> } };
    /** Null when the run trained no VQ tokenizer (comprehension only). */
    vq: { psnr: number; ssim: number; usedCodes: number; codebookSize: number } | null;
  };
  comprehension: ComprehensionRowLike[];
  generation: GenerationRowLike[];
  examples: { comprehension: ComprehensionExampleLike[]; generation: GenerationExampleLike[] };
  verdict?: VerdictLike;
  /** Where the run's files are (the model folder, logs), shown as a list. */
  files: Record<string, string>;
}
