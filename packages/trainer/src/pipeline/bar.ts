import type { EvalReport } from '../eval/evaluate.js';

/** The significance level of the demo's comprehension verdict (one-sided sign test). */
export const DEMO_SIGNIFICANCE = 0.05;

/** The demo's bar, judged on held-out samples. */
export interface DemoBar {
  /**
   * Closed questions against the question-only baseline: accuracies, `n` questions, the
   * discordant counts and the one-sided sign test's p-value; passed when the model leads and
   * `pValue` < `DEMO_SIGNIFICANCE` (a lead beyond sampling noise, not just a higher number).
   */
  comprehension: { accuracy: number; questionOnly: number; n: number; wins: number; losses: number; pValue: number; passed: boolean };
  /** Super-resolution and modality conversion: mean SSIM against the identity baseline's; passed when above it. */
  generation: Record<string, { ssim: number; identity: number; n: number; passed: boolean }>;
  passed: boolean;
}

/** The demo's bar from an evaluation (`evaluate` with training samples, so that the baselines exist). */
export function demoBar(evaluation: EvalReport): DemoBar {
  const closed = evaluation.comprehension.find((r) => r.subtask === 'vqa' && r.answerType === 'CLOSED');
  const paired = closed?.paired?.questionOnly ?? { wins: 0, losses: 0, pValue: NaN };
  const accuracy = closed?.accuracy ?? NaN;
  const questionOnly = closed?.baselines.questionOnly?.accuracy ?? NaN;
  const comprehension = { accuracy, questionOnly, n: closed?.n ?? 0, ...paired, passed: accuracy > questionOnly && paired.pValue < DEMO_SIGNIFICANCE };
  const generation = Object.fromEntries(
    evaluation.generation.filter((g) => g.subtask === 'super-resolution' || g.subtask === 'modality-conversion').map((g) => [g.subtask, { ssim: g.model.ssim, identity: g.identity.ssim, n: g.n, passed: g.model.ssim > g.identity.ssim }]),
  );
  return { comprehension, generation, passed: comprehension.passed && Object.values(generation).every((g) => g.passed) };
}
