import type { RawImage } from '@healthgpt/tensor-core/base';

/** Scores of one generated image (or their means) against the target. */
export interface ImageScoresLike {
  ssim: number;
  psnr: number;
  mse: number;
}

/** A row of the comprehension table: the model's scores and each baseline's, on the same samples. */
export interface ComprehensionRowLike {
  subtask: string;
  answerType: string;
  n: number;
  accuracy?: number;
  recall?: number;
  bleu4?: number;
  rougeL?: number;
  baselines: Record<string, { accuracy?: number; recall?: number; bleu4?: number; rougeL?: number }>;
}

export interface GenerationRowLike {
  subtask: string;
  n: number;
  model: ImageScoresLike;
  identity: ImageScoresLike;
}

export interface ComprehensionExampleLike {
  id: string;
  subtask: string;
  question: string;
  reference: string;
  prediction: string;
  /** Whether the prediction counts as right (the evaluation's exact match). */
  correct: boolean;
  /** The image asked about, when the evaluation kept it. */
  image?: RawImage;
  answerType?: string;
}

export interface GenerationExampleLike {
  id: string;
  subtask: string;
  instruction: string;
  input: RawImage;
  target: RawImage;
  output: RawImage;
  scores: ImageScoresLike;
}

/** The bar a run is judged by: the model against its strongest blind baseline on each task. */
export interface VerdictLike {
  comprehension: { accuracy: number; questionOnly: number; passed: boolean };
  generation: Record<string, { ssim: number; identity: number; passed: boolean }>;
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
    vision: { probe: { random: { modality: number; organ: number }; pretrained: { modality: number; organ: number } } };
    vq: { psnr: number; ssim: number; usedCodes: number; codebookSize: number };
  };
  comprehension: ComprehensionRowLike[];
  generation: GenerationRowLike[];
  examples: { comprehension: ComprehensionExampleLike[]; generation: GenerationExampleLike[] };
  verdict?: VerdictLike;
  /** Where the run's files are (the model folder, logs), shown as a list. */
  files: Record<string, string>;
}
