import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { expectWithinAllowance } from '@healthgpt/testing';
import { nativeAddon, nativeBlas } from '../kernels/native.js';
import { kernelMissing } from './native_kernels.test_util.js';

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 1.9 + i * 0.37) * 2));

interface Case {
  batch: number;
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
  shared: 'none' | 'a' | 'b';
  off: number;
  seed: number;
}

/** One heap holding A, B and C at offsets (as on the wasm heap), C pre-filled with NaN. */
function layout(c: Case) {
  const as = c.shared === 'a' ? 0 : c.m * c.k;
  const bs = c.shared === 'b' ? 0 : c.k * c.n;
  const aLen = c.shared === 'a' ? c.m * c.k : c.batch * as;
  const bLen = c.shared === 'b' ? c.k * c.n : c.batch * bs;
  const heap = new Float32Array(c.off + aLen + bLen + c.batch * c.m * c.n).fill(NaN);
  heap.set(values(aLen, c.seed), c.off);
  heap.set(values(bLen, c.seed + 1), c.off + aLen);
  return { heap, as, bs, aOff: c.off, bOff: c.off + aLen, cOff: c.off + aLen + bLen };
}

/** The batched call, and each product alone (batch 1), on the same inputs: [batched C, per-entry C]. */
function batchedAndAlone(c: Case): [Float32Array, Float32Array] {
  const blas = nativeBlas()!;
  const { heap, as, bs, aOff, bOff, cOff } = layout(c);
  const flags = [c.ta ? 1 : 0, c.tb ? 1 : 0] as const;
  blas.sgemm(heap, aOff, heap, bOff, heap, cOff, c.batch, as, bs, c.m, c.n, c.k, ...flags);
  const batched = heap.slice(cOff);
  heap.fill(NaN, cOff);
  for (let i = 0; i < c.batch; i++) blas.sgemm(heap, aOff + i * as, heap, bOff + i * bs, heap, cOff + i * c.m * c.n, 1, 0, 0, c.m, c.n, c.k, ...flags);
  return [batched, heap.slice(cOff)];
}

/** float64 reference of entry-by-entry op(A[i])·op(B[i]). */
function reference(c: Case): Float64Array {
  const { heap, as, bs, aOff, bOff } = layout(c);
  const out = new Float64Array(c.batch * c.m * c.n);
  for (let p = 0; p < c.batch; p++)
    for (let i = 0; i < c.m; i++)
      for (let j = 0; j < c.n; j++) {
        let s = 0;
        for (let q = 0; q < c.k; q++) s += heap[aOff + p * as + (c.ta ? q * c.m + i : i * c.k + q)] * heap[bOff + p * bs + (c.tb ? j * c.k + q : q * c.n + j)];
        out[(p * c.m + i) * c.n + j] = s;
      }
  return out;
}

const caseArb = fc.record({
  batch: fc.integer({ min: 1, max: 40 }),
  m: fc.integer({ min: 1, max: 24 }),
  n: fc.integer({ min: 1, max: 24 }),
  k: fc.integer({ min: 1, max: 24 }),
  ta: fc.boolean(),
  tb: fc.boolean(),
  shared: fc.constantFrom<Case['shared']>('none', 'a', 'b'),
  off: fc.integer({ min: 0, max: 7 }),
  seed: fc.integer({ min: 0, max: 999 }),
});

/** Run under each BLAS thread count, checking that the products leave it as they found it; restores it. */
function eachThreads(counts: number[], fn: () => void): void {
  const addon = nativeAddon()!;
  const threads = () => addon.blasInfo()!.threads;
  const initial = threads();
  for (const [i, n] of counts.entries()) {
    addon.setThreads(n);
    try {
      fn();
      expect(threads(), 'the BLAS thread count after a batched product').toBe(n);
    } finally {
      if (i === counts.length - 1) addon.setThreads(initial);
    }
  }
}

describe('batched products on the native path (small products one per thread, the BLAS at one thread meanwhile)', () => {
  it('every entry of a batch equals that product alone, bit for bit, and the float64 reference closely', () => {
    if (kernelMissing(nativeBlas() !== null)) return;
    eachThreads([2, 1, 3], () =>
      fc.assert(
        fc.property(caseArb, (c) => {
          const [batched, alone] = batchedAndAlone(c);
          expect(Buffer.from(batched.buffer).equals(Buffer.from(alone.buffer))).toBe(true);
          const want = reference(c);
          expectWithinAllowance(batched, want, 1e-4, 'C'); // one assertion per product: one per entry took ~20 s on a loaded machine
        }),
        { numRuns: 25 },
      ),
    );
  });

  it('products above the size for one thread keep the BLAS threading and stay correct', () => {
    if (kernelMissing(nativeBlas() !== null)) return;
    const c: Case = { batch: 4, m: 130, n: 140, k: 240, ta: true, tb: false, shared: 'none', off: 3, seed: 7 }; // 4.4 M multiply-adds each
    eachThreads([2], () => {
      const [batched] = batchedAndAlone(c);
      const want = reference(c);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(batched[i] - want[i]));
      expect(worst).toBeLessThan(1e-3);
    });
  });
});
