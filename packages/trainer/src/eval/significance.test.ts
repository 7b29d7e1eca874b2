import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { signTestPValue, pairedComparison } from './significance.js';
import { TrainerError } from '../errors.js';

describe('the one-sided sign test', () => {
  it('matches hand-worked binomial tails', () => {
    expect(signTestPValue(5, 0)).toBeCloseTo(1 / 32, 14);
    expect(signTestPValue(3, 1)).toBeCloseTo(5 / 16, 14); // P(X ≥ 3 | n = 4) = (4 + 1) / 16
    expect(signTestPValue(0, 5)).toBeCloseTo(1, 14);
    expect(signTestPValue(0, 0)).toBe(1);
  });

  it('agrees with the normal approximation for many pairs', () => {
    // n = 100, 60 wins: z = (60 − 50 − 0.5) / 5 = 1.9 → 0.0287; the exact tail is 0.0284
    expect(Math.abs(signTestPValue(60, 40) - 0.0287)).toBeLessThan(0.001);
  });

  it('is a tail: P(X ≥ w) + P(X ≤ w − 1) = 1, and it falls as wins replace losses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 300 }), (w, l) => {
        expect(signTestPValue(w, l) + signTestPValue(l + 1, w - 1)).toBeCloseTo(1, 9);
        expect(signTestPValue(w, l)).toBeLessThanOrEqual(signTestPValue(w - 1, l + 1));
        if (w + l <= 40) expect(signTestPValue(w, l)).toBeLessThan(signTestPValue(w - 1, l + 1)); // (past that a tail near 1 rounds to 1)
      }),
    );
  });

  it('refuses counts that are not counts', () => {
    expect(() => signTestPValue(-1, 2)).toThrow(TrainerError);
    expect(() => signTestPValue(1.5, 2)).toThrow(/counts/);
  });
});

describe('paired comparison of per-item outcomes', () => {
  it('counts only the discordant items', () => {
    const r = pairedComparison([true, true, false, false, true], [false, true, false, true, false]);
    expect(r).toEqual({ wins: 2, losses: 1, pValue: signTestPValue(2, 1) });
    expect(r.pValue).toBeCloseTo(4 / 8, 14); // P(X ≥ 2 | n = 3) = (3 + 1) / 8
  });

  it('refuses outcomes of different items', () => {
    expect(() => pairedComparison([true], [true, false])).toThrow(/same items/);
  });
});
