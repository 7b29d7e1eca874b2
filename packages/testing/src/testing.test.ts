import { describe, it, expect, afterEach, beforeAll } from 'vitest';
import fc from 'fast-check';
import { tf, initBackend } from '@healthgpt/tensor-core';
import { nativeBlas } from '@healthgpt/tensor-core/internal';
import { compareClose, expectWithinAllowance, float32SumErrorFactor, FLOAT32_UNIT_ROUNDOFF, goldenDir, dataDir, loadGolden, expectNoLeaks, disposeDeep, repoRoot, withoutNativePath } from '@healthgpt/testing';

describe('@healthgpt/testing', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env.HEALTHGPT_GOLDEN = saved.HEALTHGPT_GOLDEN;
    process.env.CI = saved.CI;
    if (saved.HEALTHGPT_GOLDEN === undefined) delete process.env.HEALTHGPT_GOLDEN;
    if (saved.CI === undefined) delete process.env.CI;
  });

  it('resolves the fixture and data folders beside the repository by default', () => {
    expect(goldenDir()).toBe(`${repoRoot()}/../shared/golden`.replace(/\/[^/]+\/\.\.\//, '/'));
    expect(dataDir()).toMatch(/shared\/data$/);
  });

  it('fails loudly when a named folder is missing, and under CI', () => {
    process.env.HEALTHGPT_GOLDEN = '/nonexistent/golden';
    expect(() => goldenDir()).toThrow(/HEALTHGPT_GOLDEN: folder \/nonexistent\/golden does not exist/);
    process.env.CI = 'true';
    expect(() => goldenDir()).toThrow(/does not exist/);
  });

  it('loadGolden splits weights from io tensors', async () => {
    const g = await loadGolden('projector_tiny');
    expect([...g.weights.keys()]).toEqual(['model.mm_projector.0.weight', 'model.mm_projector.0.bias', 'model.mm_projector.2.weight', 'model.mm_projector.2.bias']);
    expect([...g.io.keys()].sort()).toEqual(['hidden_pre_gelu', 'in', 'out']);
    expect(g.config).toBeTypeOf('object');
    g.dispose();
  });

  it('float32SumErrorFactor bounds float32 sums in any order by γₙ·Σ|terms|, cancelling ones included (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.boolean(), (terms, reversed) => {
        const xs = reversed ? [...terms].reverse() : terms;
        let f32 = 0;
        let exact = 0;
        let mag = 0;
        for (const x of xs) {
          f32 = Math.fround(f32 + x);
          exact += x; // float64: off by at most 300·2⁻⁵³·Σ|x|, far below the float32 bound
          mag += Math.abs(x);
        }
        expect(Math.abs(f32 - exact)).toBeLessThanOrEqual(float32SumErrorFactor(xs.length) * mag);
      }),
      { numRuns: 200 },
    );
    expect(float32SumErrorFactor(1)).toBe(FLOAT32_UNIT_ROUNDOFF / (1 - FLOAT32_UNIT_ROUNDOFF));
    expect(() => float32SumErrorFactor(2 ** 24)).toThrow(RangeError);
  });

  it('expectWithinAllowance takes one allowance or one per entry, and names the worst entry', () => {
    expectWithinAllowance([1, 2, 3], [1.1, 2, 2.5], [0.1 + 1e-12, 0, 0.5]);
    expectWithinAllowance([1, 2], [1.5, 2.5], 0.5);
    expect(() => expectWithinAllowance([1, 2, 3], [1, 2.05, 4], [0, 0.1, 0.5], 'x')).toThrow(/x: element 2 is 3, expected 4 within 0\.5/);
    expect(() => expectWithinAllowance([NaN], [0], 1)).toThrow(/element 0/);
    expect(() => expectWithinAllowance([0, 0], [0], 1)).toThrow(/length/);
  });

  it('compareClose implements |a − b| ≤ atol + rtol·|b| (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 0, max: 1 }), fc.double({ min: 0, max: 1 }), (a, b, atol, rtol) => {
        expect(compareClose([a], [b], { atol, rtol }).ok).toBe(Math.abs(a - b) <= atol + rtol * Math.abs(b));
      }),
    );
    expect(compareClose([NaN], [1]).ok).toBe(false);
    expect(compareClose([1, 2], [1]).ok).toBe(false);
    expect(compareClose([5, 1], [0, 1], { atol: 0 }, [0, 1]).ok).toBe(true);
  });

  it('expectNoLeaks catches a leak and disposeDeep frees nested containers', async () => {
    const kept: tf.Tensor[] = [];
    await expect(expectNoLeaks(() => void kept.push(tf.zeros([2])))).rejects.toThrow(/leaked 1 tensor/);
    tf.dispose(kept);
    const before = tf.memory().numTensors;
    disposeDeep({ a: [tf.zeros([1])], m: new Map([['x', tf.ones([1])]]) });
    expect(tf.memory().numTensors).toBe(before);
  });
});

// Whether the native path was live before the suite below turned it off (set by its first hook).
let nativeBefore: boolean | undefined;
describe('withoutNativePath', () => {
  beforeAll(async () => {
    await initBackend();
    nativeBefore = nativeBlas() !== null;
  });
  withoutNativePath();

  it('turns the native path off inside the suite', () => {
    expect(nativeBlas()).toBeNull();
  });
});

describe('after a suite run withoutNativePath', () => {
  it('the native path is as it was before it', () => {
    expect(nativeBefore).toBeDefined();
    expect(nativeBlas() !== null).toBe(nativeBefore);
  });
});
