import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { constant, linearWarmup, linearDecay, cosineDecay, exponentialDecay, sequence, warmupCosine, TensorCoreError } from '@healthgpt/tensor-core';

const value = fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });
const steps = fc.integer({ min: 1, max: 10_000 });
const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol * (1 + Math.abs(b));

describe('schedules', () => {
  it('constant is the same at every step', () => {
    fc.assert(fc.property(value, fc.nat(), (v, s) => constant(v)(s) === v));
  });

  it('linear warm-up and decay: the end points, a constant slope, then the end value held', () => {
    fc.assert(
      fc.property(value, value, steps, fc.nat({ max: 20_000 }), (from, to, n, s) => {
        for (const f of [linearWarmup({ from, to, steps: n }), linearDecay({ from, to, steps: n })]) {
          expect(f.steps).toBe(n);
          expect(f(0) === from, 'start').toBe(true); // === : -0 and +0 are the same start
          expect(f(n) === to, 'end').toBe(true);
          if (s >= n) expect(f(s) === to, 'held').toBe(true);
          else if (s + 1 < n) expect(close(f(s + 1) - f(s), (to - from) / n, 1e-7)).toBe(true);
        }
      }),
    );
    expect(linearWarmup({ to: 2, steps: 4 })(1)).toBe(0.5); // from 0 by default
    expect(linearDecay({ from: 2, steps: 4 })(3)).toBe(0.5); // to 0 by default
  });

  it('cosine decay: from → floor, monotone, within [floor, from], symmetric about the midpoint', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), steps, fc.nat({ max: 20_000 }), (peak, floorFrac, n, s) => {
        const floor = peak * floorFrac;
        const f = cosineDecay({ from: peak, to: floor, steps: n });
        expect(f(0)).toBe(peak);
        expect(f(n)).toBe(floor);
        expect(f(s)).toBeGreaterThanOrEqual(floor - 1e-12);
        expect(f(s)).toBeLessThanOrEqual(peak + 1e-12);
        expect(f(s + 1)).toBeLessThanOrEqual(f(s) + 1e-12);
        if (s <= n) expect(close(f(s) + f(n - s), peak + floor)).toBe(true);
      }),
    );
    expect(cosineDecay({ from: 1, steps: 100 })(50)).toBeCloseTo(0.5, 12); // floor 0 allowed (the default)
    expect(cosineDecay({ from: 1, steps: 100 })(100)).toBe(0);
  });

  it('exponential decay: the end points, a constant ratio between steps, then the end value held', () => {
    const pos = fc.double({ min: 1e-3, max: 10, noNaN: true });
    fc.assert(
      fc.property(pos, pos, steps, fc.nat({ max: 20_000 }), (from, to, n, s) => {
        const f = exponentialDecay({ from, to, steps: n });
        expect(f(0)).toBe(from);
        expect(f(n)).toBe(to);
        if (s >= n) expect(f(s)).toBe(to);
        else if (s + 2 <= n) expect(close(f(s + 2) / f(s + 1), f(s + 1) / f(s), 1e-9)).toBe(true);
      }),
    );
    expect(exponentialDecay({ from: 1, to: 1 / 16, steps: 4 })(2)).toBeCloseTo(0.25, 14);
    expect(() => exponentialDecay({ from: 0, to: 1, steps: 4 })).toThrow(TensorCoreError);
  });

  it('sequence runs each part for its steps, counted from its start, and is a pure function of the step', () => {
    fc.assert(
      fc.property(value, value, value, fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.array(fc.nat({ max: 200 }), { minLength: 1, maxLength: 20 }), (a, b, c, n1, n2, probe) => {
        const first = linearWarmup({ from: a, to: b, steps: n1 });
        const second = cosineDecay({ from: b, to: c, steps: n2 });
        const f = sequence(first, second);
        expect(f.steps).toBe(n1 + n2);
        for (const s of probe) expect(f(s)).toBe(s < n1 ? first(s) : second(s - n1));
        // Purity: the same values in any order and when asked twice.
        const once = probe.map((s) => f(s));
        expect([...probe].reverse().map((s) => f(s))).toEqual([...once].reverse());
      }),
    );
    const forever = sequence(linearWarmup({ to: 1, steps: 10 }), constant(0.25));
    expect(forever.steps).toBeUndefined();
    expect(forever(1e9)).toBe(0.25);
  });

  it('warmupCosine: peak exactly at the end of the warm-up, the floor at the end, never below it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1, noNaN: true }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat({ max: 3000 }), (peak, w, extra, frac, s) => {
        const f = warmupCosine({ peak, warmupSteps: w, totalSteps: w + extra, floor: peak * frac });
        expect(f(w)).toBe(peak);
        expect(f(w + extra)).toBe(peak * frac);
        expect(f(s)).toBeGreaterThanOrEqual(Math.min(0, peak * frac) - 1e-15);
        if (s < w) expect(f(s)).toBeLessThanOrEqual(f(s + 1));
        else expect(f(s + 1)).toBeLessThanOrEqual(f(s) + 1e-15);
      }),
    );
    expect(warmupCosine({ peak: 1, warmupSteps: 0, totalSteps: 4 })(0)).toBe(1); // no warm-up: starts at the peak
  });

  it('rejects bad arguments with TensorCoreError', () => {
    const bad: (() => unknown)[] = [
      () => linearWarmup({ to: 1, steps: -1 }),
      () => linearWarmup({ to: 1, steps: 1.5 }),
      () => cosineDecay({ from: Number.NaN, steps: 3 }),
      () => constant(Infinity),
      () => sequence(constant(1), linearWarmup({ to: 1, steps: 2 })),
      () => sequence(),
      () => warmupCosine({ peak: 1, warmupSteps: 10, totalSteps: 5 }),
      () => constant(1)(-1),
      () => cosineDecay({ from: 1, steps: 3 })(Number.NaN),
    ];
    for (const f of bad) expect(f).toThrow(TensorCoreError);
  });
});
