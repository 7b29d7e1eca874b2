/**
 * The spread of a paired ratio measured over rounds (see bench/README.md, "Paired ratios"): the
 * median of the per-round ratios, their quartiles and extremes, and a percentile-bootstrap
 * interval of the median.
 */

export interface PairedSpread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  /** 95 % percentile-bootstrap interval of the median. */
  ciLow: number;
  ciHigh: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, interpolating linearly between order statistics. */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Summary of per-round ratios; `rng.int(n)` draws the bootstrap resamples (a seeded Generator). */
export function pairedSpread(ratios: readonly number[], rng: { int(n: number): number }, resamples = 2000): PairedSpread {
  if (ratios.length === 0) throw new Error('pairedSpread: no rounds');
  const sorted = [...ratios].sort((a, b) => a - b);
  const n = sorted.length;
  const medians = new Float64Array(resamples);
  const draw = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) draw[i] = sorted[rng.int(n)];
    draw.sort((a, b) => a - b);
    medians[r] = quantile(draw, 0.5);
  }
  medians.sort();
  const ms = Array.from(medians);
  return { median: quantile(sorted, 0.5), q1: quantile(sorted, 0.25), q3: quantile(sorted, 0.75), min: sorted[0], max: sorted[n - 1], ciLow: quantile(ms, 0.025), ciHigh: quantile(ms, 0.975) };
}
