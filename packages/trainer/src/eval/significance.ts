import { TrainerError } from '../errors.js';

/**
 * One-sided exact sign test (McNemar's exact test) of paired right/wrong outcomes: the chance of
 * at least `wins` wins among `wins + losses` discordant pairs when either side is equally likely
 * to win each (ties, both right or both wrong, say nothing). Small values mean the first side is
 * better beyond sampling noise; with no discordant pair the value is 1.
 */
export function signTestPValue(wins: number, losses: number): number {
  TrainerError.check(Number.isInteger(wins) && Number.isInteger(losses) && wins >= 0 && losses >= 0, 'ARGUMENT', `'signTestPValue' needs counts (integers ≥ 0), got ${wins} and ${losses}`);
  const n = wins + losses;
  let logTerm = -n * Math.LN2; // log P(X = 0) under Binomial(n, 1/2)
  let tail = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logTerm += Math.log((n - i + 1) / i);
    if (i >= wins) tail += Math.exp(logTerm);
  }
  return Math.min(1, tail);
}

/** Per-item paired outcomes of a model and a baseline (true = right): the discordant counts and the sign test's p-value. */
export function pairedComparison(model: readonly boolean[], baseline: readonly boolean[]): { wins: number; losses: number; pValue: number } {
  TrainerError.check(model.length === baseline.length, 'ARGUMENT', `'pairedComparison' needs outcomes of the same items, got ${model.length} and ${baseline.length}`);
  let wins = 0;
  let losses = 0;
  model.forEach((m, i) => {
    if (m && !baseline[i]) wins++;
    if (!m && baseline[i]) losses++;
  });
  return { wins, losses, pValue: signTestPValue(wins, losses) };
}
