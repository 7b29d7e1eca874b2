import { describe, it, expect, afterEach } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { compareClose, goldenDir, dataDir, loadGolden, expectNoLeaks, disposeDeep, repoRoot } from '@healthgpt/testing';

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
