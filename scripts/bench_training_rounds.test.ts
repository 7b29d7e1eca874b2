/** The training bench's interleaved rounds (bench/training_rounds.ts), run on simulated trainers whose step times follow a machine load. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { median } from '../bench/report.js';
import { interleavedRounds, type RoundSide } from '../bench/training_rounds.js';

/**
 * Two simulated trainers on one machine: a step of a side takes its base time times the load at
 * the moment it starts; `load(t)` is a function of simulated time, so the sides share it.
 */
function machine(load: (t: number) => number) {
  let clock = 0;
  const log: string[] = [];
  const side =
    (name: string, base: number): RoundSide =>
    (warmup, steps) => {
      log.push(`${name} ${warmup}+${steps}`);
      const ms: number[] = [];
      for (let i = 0; i < warmup + steps; i++) {
        const t = base * load(clock);
        clock += t;
        if (i >= warmup) ms.push(t);
      }
      return ms;
    };
  return { side, log };
}

describe('training bench: interleaved rounds', () => {
  it('times only the steps after each warm-up, alternating which side goes first', async () => {
    const m = machine(() => 1);
    const r = await interleavedRounds({ rounds: 4, warmup: 2, steps: 3 }, m.side('ours', 100), m.side('theirs', 125));
    expect(m.log).toEqual(['ours 2+3', 'theirs 2+3', 'theirs 2+3', 'ours 2+3', 'ours 2+3', 'theirs 2+3', 'theirs 2+3', 'ours 2+3']);
    expect(r.oursFirst).toEqual([true, false, true, false]);
    expect(r.oursMs).toEqual(new Array(12).fill(100));
    expect(r.theirsMs).toEqual(new Array(12).fill(125));
    expect(r.ratios).toEqual([1.25, 1.25, 1.25, 1.25]);
  });

  it('runs each side\'s untimed start steps once, ours then theirs, before round 1', async () => {
    const m = machine(() => 1);
    const ours = m.side('ours', 100);
    const theirs = m.side('theirs', 80);
    const r = await interleavedRounds({ rounds: 2, warmup: 1, steps: 1 }, ours, theirs, { ours: () => ours(2, 0), theirs: async () => theirs(2, 0) });
    expect(m.log).toEqual(['ours 2+0', 'theirs 2+0', 'ours 1+1', 'theirs 1+1', 'theirs 1+1', 'ours 1+1']);
    expect(r.oursMs).toEqual([100, 100]);
    expect(r.ratios).toEqual([0.8, 0.8]);
  });

  it("a load that changes from round to round cancels in every round's ratio (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: 1, max: 4, noNaN: true }), { minLength: 2, maxLength: 12 }),
        fc.double({ min: 50, max: 200, noNaN: true }),
        fc.double({ min: 0.5, max: 2, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        async (loads, base, speedup, steps) => {
          // The load holds for one round (2·(1 + steps) steps), whatever each step's duration.
          let step = 0;
          const perRound = 2 * (1 + steps);
          const m = machine(() => loads[Math.floor(step++ / perRound)]);
          const r = await interleavedRounds({ rounds: loads.length, warmup: 1, steps }, m.side('ours', base / speedup), m.side('theirs', base));
          // Each round's ratio is the true speed-up up to the rounding of the simulated times (a few ulps).
          for (const ratio of r.ratios) expect(Math.abs(ratio - speedup)).toBeLessThanOrEqual(8 * Number.EPSILON * speedup);
          expect(Math.abs(median(r.ratios) - speedup)).toBeLessThanOrEqual(8 * Number.EPSILON * speedup);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a burst of load during fewer than half the rounds leaves the median ratio exact (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 7 }).chain((half) =>
          fc.record({
            rounds: fc.constant(2 * half + 1),
            // Rounds hit by a burst (at most `half` of them), and the burst's load on each of their steps.
            hit: fc.uniqueArray(fc.integer({ min: 0, max: 2 * half }), { maxLength: half }),
            burst: fc.array(fc.double({ min: 1, max: 10, noNaN: true }), { minLength: 1, maxLength: 16 }),
          }),
        ),
        fc.double({ min: 0.5, max: 2, noNaN: true }),
        async ({ rounds, hit, burst }, speedup) => {
          let step = 0;
          const perRound = 2 * (1 + 2);
          const m = machine(() => {
            const round = Math.floor(step / perRound);
            return hit.includes(round) ? burst[step++ % burst.length] : (step++, 1);
          });
          const r = await interleavedRounds({ rounds, warmup: 1, steps: 2 }, m.side('ours', 100 / speedup), m.side('theirs', 100));
          expect(Math.abs(median(r.ratios) - speedup)).toBeLessThanOrEqual(8 * Number.EPSILON * speedup);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a plan that is not whole numbers in range, and a side that returns the wrong number of times', async () => {
    const m = machine(() => 1);
    const ok = m.side('x', 1);
    await expect(interleavedRounds({ rounds: 0, warmup: 1, steps: 2 }, ok, ok)).rejects.toThrow(/rounds must be an integer ≥ 1, got 0/);
    await expect(interleavedRounds({ rounds: 2, warmup: -1, steps: 2 }, ok, ok)).rejects.toThrow(/warmup must be an integer ≥ 0/);
    await expect(interleavedRounds({ rounds: 2, warmup: 1, steps: 1.5 }, ok, ok)).rejects.toThrow(/steps must be an integer ≥ 1, got 1.5/);
    await expect(interleavedRounds({ rounds: 2, warmup: 1, steps: Number.NaN }, ok, ok)).rejects.toThrow(/steps must be an integer/);
    await expect(interleavedRounds({ rounds: 2, warmup: 0, steps: 2 }, ok, () => [1])).rejects.toThrow(/theirs returned 1 step times in round 0, expected 2/);
  });
});
