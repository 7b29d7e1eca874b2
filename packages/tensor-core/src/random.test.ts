import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Generator, kaimingUniform, normal, uniform, manualSeed, getDefaultGenerator, Linear } from '@healthgpt/tensor-core';
import { fans } from '@healthgpt/tensor-core/internal';

describe('random', () => {
  it('is reproducible by seed and differs across seeds', () => {
    const a = new Generator(42);
    const b = new Generator(42);
    const c = new Generator(43);
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(xa);
  });

  it('state round-trips (resume a run)', () => {
    const g = new Generator(7);
    g.random();
    const s = g.getState();
    const x = [g.random(), g.random()];
    const h = new Generator(0);
    h.setState(s);
    expect([h.random(), h.random()]).toEqual(x);
  });

  it('uniform draws stay in [0, 1) and ints in [0, n) (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const g = new Generator(seed);
        for (let i = 0; i < 50; i++) {
          const u = g.random();
          expect(u).toBeGreaterThanOrEqual(0);
          expect(u).toBeLessThan(1);
          const k = g.int(n);
          expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('normal has mean ≈ 0 and std ≈ 1', () => {
    const t = normal([20000], 0, 1, new Generator(1));
    const d = Array.from(t.dataSync());
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const std = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
    t.dispose();
  });

  it('kaiming-uniform (a = √5) has PyTorch bounds 1/√fan_in, conv fans include the receptive field', () => {
    expect(fans([16, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 400 });
    const w = kaimingUniform([64, 100], { gen: new Generator(3) });
    const d = Array.from(w.dataSync());
    const bound = 1 / Math.sqrt(100);
    expect(Math.max(...d)).toBeLessThanOrEqual(bound);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...d)).toBeGreaterThan(0.9 * bound);
    w.dispose();
    const u = uniform([10], 2, 3, new Generator(1));
    expect(u.dataSync().every((v) => v >= 2 && v < 3)).toBe(true);
    u.dispose();
  });

  it('manualSeed makes module init reproducible', () => {
    manualSeed(5);
    const a = new Linear(3, 2);
    manualSeed(5);
    const b = new Linear(3, 2);
    expect(Array.from(b.weight.dataSync())).toEqual(Array.from(a.weight.dataSync()));
    expect(getDefaultGenerator()).toBeInstanceOf(Generator);
    a.dispose();
    b.dispose();
  });
});
