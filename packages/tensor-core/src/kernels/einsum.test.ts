import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, TensorCoreError } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues, maxAbsDiff, expectWithinAllowance, float32SumErrorFactor } from '@healthgpt/testing';
import { parseEinsum } from './einsum.js';

const LETTERS = 'abcdef';

/** A random contraction where every index is in both operands or in the output (the cases tf.einsum's cpu kernel gets right). */
const equation = fc
  .record({
    roles: fc.array(fc.constantFrom('batch', 'contract', 'freeA', 'freeB'), { minLength: 1, maxLength: 5 }),
    sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 5, maxLength: 5 }),
    shuffleA: fc.integer({ min: 0, max: 1000 }),
    shuffleB: fc.integer({ min: 0, max: 1000 }),
    shuffleOut: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ roles, sizes, shuffleA, shuffleB, shuffleOut }) => {
    const idx = roles.map((_, i) => LETTERS[i]);
    const rotate = (s: string[], k: number) => (s.length ? [...s.slice(k % s.length), ...s.slice(0, k % s.length)] : s);
    const a = rotate(idx.filter((_, i) => roles[i] !== 'freeB'), shuffleA);
    const b = rotate(idx.filter((_, i) => roles[i] !== 'freeA'), shuffleB);
    const out = rotate(idx.filter((_, i) => roles[i] !== 'contract'), shuffleOut);
    const size = (c: string) => sizes[LETTERS.indexOf(c)];
    return { eq: `${a.join('')},${b.join('')}->${out.join('')}`, aShape: a.map(size), bShape: b.map(size) };
  });

describe('Einsum (wasm: summed indices, then one batched matmul)', () => {
  it('matches the cpu backend on random two-operand contractions', async () => {
    await fc.assert(
      fc.asyncProperty(equation, fc.integer({ min: 1, max: 999 }), async ({ eq, aShape, bShape }, seed) => {
        const av = randomValues(aShape.reduce((x, y) => x * y, 1), seed);
        const bv = randomValues(bShape.reduce((x, y) => x * y, 1), seed + 1);
        const { wasm, cpu } = await wasmAndCpu(() => tf.einsum(eq, tf.tensor(av, aShape), tf.tensor(bv, bShape)));
        expect(wasm.shape, eq).toEqual(cpu.shape);
        // Each output is a float32 dot product over the contracted indices (up to 4⁵ = 1024 terms), on
        // both backends: each is within γₙ·Σ|a·b| of the exact value. A fixed 1e-5 failed one full
        // contraction of 1024 terms in ten.
        const [ins, out] = eq.split('->');
        const contracted = [...new Set(ins.replace(',', ''))].filter((c) => !out.includes(c));
        const terms = contracted.reduce((n, c) => n * aShape[ins.split(',')[0].indexOf(c)], 1);
        const magnitude = (await wasmAndCpu(() => tf.einsum(eq, tf.abs(tf.tensor(av, aShape)), tf.abs(tf.tensor(bv, bShape))))).cpu.values;
        expectWithinAllowance(wasm.values, cpu.values, Array.from(magnitude, (m) => 2 * float32SumErrorFactor(terms) * m), eq);
      }),
      // The example is a full contraction of 1024 terms that was 3.2e-5 off (over the former 1e-5).
      { numRuns: 30, examples: [[{ eq: 'abcde,bcdea->', aShape: [4, 4, 4, 4, 4], bShape: [4, 4, 4, 4, 4] }, 41]] },
    );
  });

  it('handles single operands, implicit output and an index summed inside one operand', async () => {
    const a = randomValues(12, 1);
    const b = randomValues(5, 2);
    const t = await wasmAndCpu(() => tf.einsum('ij->ji', tf.tensor(a, [3, 4])));
    expect(Array.from(t.wasm.values)).toEqual(Array.from(t.cpu.values));
    const s = await wasmAndCpu(() => tf.einsum('ij->j', tf.tensor(a, [3, 4])));
    expect(maxAbsDiff(s.wasm.values, s.cpu.values)).toBeLessThan(1e-6);
    // tf.einsum itself rejects implicit outputs; the kernel's parser follows numpy (indices seen once, sorted).
    expect(parseEinsum('ba,ac', 2)).toEqual({ inputs: ['ba', 'ac'], output: 'bc' });
    // 'ij,k->ik' sums j inside the first operand: Σ_j a[i, j] · b[k] (checked by hand; tfjs-cpu mis-shapes it).
    await tf.setBackend('wasm');
    const outer = tf.einsum('ij,k->ik', tf.tensor(a, [3, 4]), tf.tensor(b));
    expect(outer.shape).toEqual([3, 5]);
    const v = outer.dataSync();
    const rowSum = (i: number) => a[i * 4] + a[i * 4 + 1] + a[i * 4 + 2] + a[i * 4 + 3];
    expect(Math.abs(v[1 * 5 + 2] - rowSum(1) * b[2])).toBeLessThan(1e-5);
    outer.dispose();
  });

  it('rejects ellipsis and repeated indices with a message naming the equation', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([2, 2]);
    expect(() => tf.einsum('ii->i', x)).toThrow(TensorCoreError);
    expect(() => tf.einsum('ii->i', x)).toThrow(/repeated index in 'ii' of 'ii->i'/);
    expect(() => tf.einsum('...i->i', x)).toThrow(/ellipsis is not supported \('\.\.\.i->i'\)/);
    x.dispose();
  });
});
