/** The bench's paired-ratio statistics (bench/paired.ts): quantiles and the bootstrap interval of the median. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Generator } from '@healthgpt/tensor-core/base';
import { pairedSpread, quantile } from '../bench/paired.js';

describe('paired ratio spread', () => {
  it('quantiles interpolate between order statistics', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantile([10, 20], 0.75)).toBe(17.5);
  });

  it('the median, quartiles and extremes are those of the rounds; the bootstrap interval holds the median within the extremes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 1e6 }), (xs, seed) => {
        const s = pairedSpread(xs, new Generator(seed), 200);
        const sorted = [...xs].sort((a, b) => a - b);
        expect(s.min).toBe(sorted[0]);
        expect(s.max).toBe(sorted[sorted.length - 1]);
        expect(s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max).toBe(true);
        expect(s.min <= s.ciLow && s.ciLow <= s.ciHigh && s.ciHigh <= s.max).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('the interval narrows as rounds accumulate, and is zero for identical rounds', () => {
    const gen = new Generator(1);
    const noisy = (n: number) => Array.from({ length: n }, () => 1 + 0.1 * gen.normal());
    const width = (xs: number[]) => {
      const s = pairedSpread(xs, new Generator(2));
      return s.ciHigh - s.ciLow;
    };
    expect(width(noisy(400))).toBeLessThan(width(noisy(10)) / 2);
    const same = pairedSpread([1.02, 1.02, 1.02], new Generator(3));
    expect([same.ciLow, same.ciHigh, same.q1, same.q3]).toEqual([1.02, 1.02, 1.02, 1.02]);
    expect(() => pairedSpread([], gen)).toThrow(/no rounds/);
  });
});
