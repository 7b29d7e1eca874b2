/** Exponential annealing from `start` to `end` over `steps` steps, then flat (DALL·E / GumbelVQ style). */
export function annealExp(step: number, { start, end, steps }: { start: number; end: number; steps: number }): number {
  if (steps <= 0 || step >= steps) return end;
  return start * (end / start) ** (step / steps);
}

/** Linear warm-up for `warmup` steps, then cosine decay to `minRatio`·lr at `total`. */
export function warmupCosine(step: number, { lr, warmup, total, minRatio = 0.1 }: { lr: number; warmup: number; total: number; minRatio?: number }): number {
  if (step < warmup) return (lr * (step + 1)) / warmup;
  const p = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return lr * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
}
