import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { nativeAddon, nativeBlas } from '../kernels/native.js';
import { kernelMissing } from './native_kernels.test_util.js';

// Products of ≥ 8 M multiply-adds run as blocks of output rows (≥ 256 rows), or of output columns
// when wider than tall (n > m ≥ 64, n ≥ 256), each block on one BLAS thread, when the BLAS has ≥ 2
// threads (split_gemm.cc); at one thread they run whole.

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 1.3 + i * 0.71) * 2));

interface Case {
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
  off: number;
  seed: number;
}

/** A, B and C in one heap at offsets; C starts as NaN, and the floats around it must stay NaN. */
function product(c: Case, threads: number): Float32Array {
  const addon = nativeAddon()!;
  const aLen = c.m * c.k;
  const bLen = c.k * c.n;
  const heap = new Float32Array(c.off + aLen + bLen + c.m * c.n + 5).fill(NaN);
  heap.set(values(aLen, c.seed), c.off);
  heap.set(values(bLen, c.seed + 1), c.off + aLen);
  const cOff = c.off + aLen + bLen;
  const before = addon.blasInfo()!.threads;
  addon.setThreads(threads);
  try {
    nativeBlas()!.sgemm(heap, c.off, heap, c.off + aLen, heap, cOff, 1, 0, 0, c.m, c.n, c.k, c.ta ? 1 : 0, c.tb ? 1 : 0);
    expect(addon.blasInfo()!.threads, 'the BLAS thread count after the product').toBe(threads);
  } finally {
    addon.setThreads(before);
  }
  for (let i = cOff + c.m * c.n; i < heap.length; i++) expect(heap[i], 'a float past C').toBeNaN();
  return heap.slice(cOff, cOff + c.m * c.n);
}

/** float64 op(A)·op(B) on the same values, and Σ|a·b| per element (the scale of float32 rounding). */
function reference(c: Case): { exact: Float64Array; magnitude: Float64Array } {
  const a = values(c.m * c.k, c.seed);
  const b = values(c.k * c.n, c.seed + 1);
  const exact = new Float64Array(c.m * c.n);
  const magnitude = new Float64Array(c.m * c.n);
  const bt = new Float64Array(c.k * c.n); // B as [n, k]
  for (let q = 0; q < c.k; q++) for (let j = 0; j < c.n; j++) bt[j * c.k + q] = c.tb ? b[j * c.k + q] : b[q * c.n + j];
  const row = new Float64Array(c.k);
  for (let i = 0; i < c.m; i++) {
    for (let q = 0; q < c.k; q++) row[q] = c.ta ? a[q * c.m + i] : a[i * c.k + q];
    for (let j = 0; j < c.n; j++) {
      let s = 0;
      let mag = 0;
      for (let q = 0; q < c.k; q++) {
        const p = row[q] * bt[j * c.k + q];
        s += p;
        mag += Math.abs(p);
      }
      exact[i * c.n + j] = s;
      magnitude[i * c.n + j] = mag;
    }
  }
  return { exact, magnitude };
}

/** Largest error in units of the float32 bound k·2⁻²⁴·Σ|a·b| (a correct product stays well under 1). */
function worstError(c: Case, got: Float32Array, { exact, magnitude }: ReturnType<typeof reference>): number {
  let worst = 0;
  for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(got[i] - exact[i]) / (c.k * 2 ** -24 * magnitude[i] + 1e-30));
  return worst;
}

const common = { ta: fc.boolean(), tb: fc.boolean(), off: fc.integer({ min: 0, max: 7 }), seed: fc.integer({ min: 0, max: 999 }) };
/** Taller than wide: cut by rows. */
const rowsArb = fc.record({ m: fc.integer({ min: 256, max: 420 }), n: fc.integer({ min: 120, max: 200 }), k: fc.integer({ min: 160, max: 260 }), ...common });
/** Wider than tall: cut by columns (m from 64, below the row cut's 256, to above it). */
const columnsArb = fc.record({ m: fc.integer({ min: 64, max: 300 }), n: fc.integer({ min: 301, max: 700 }), k: fc.integer({ min: 200, max: 500 }), ...common });

describe('large products split by rows or columns across threads (each block on one BLAS thread)', () => {
  // The BLAS's rounding depends on a product's height (its blocking), so a split product is not
  // bit for bit the whole one; the blocks are fixed by the thread count alone, never by which
  // thread ran them, so a split product is the same in every run.
  for (const [cut, arb] of [['rows', rowsArb], ['columns', columnsArb]] as const) {
    it(`cut by ${cut}: match the float64 reference for every transpose and odd sizes, at 1, 2 and 3 threads, and repeat bit for bit`, () => {
      if (kernelMissing(nativeBlas() !== null)) return;
      fc.assert(
        fc.property(arb, (c) => {
          fc.pre(c.m * c.n * c.k >= 8 * 1024 * 1024);
          const want = reference(c);
          for (const threads of [1, 2, 3]) {
            const got = product(c, threads);
            expect(worstError(c, got, want), `${threads} threads`).toBeLessThan(1);
            for (let r = 0; r < 3; r++) expect(Buffer.from(product(c, threads).buffer).equals(Buffer.from(got.buffer)), `${threads} threads, run ${r + 2}`).toBe(true);
          }
        }),
        { numRuns: 12 },
      );
    });
  }

  it('products just below the split sizes stay correct at two threads', () => {
    if (kernelMissing(nativeBlas() !== null)) return;
    for (const c of [
      { m: 255, n: 200, k: 200, ta: false, tb: true, off: 1, seed: 3 }, // too few rows
      { m: 300, n: 100, k: 100, ta: true, tb: false, off: 2, seed: 4 }, // too few multiply-adds
      { m: 63, n: 2000, k: 100, ta: true, tb: true, off: 3, seed: 5 }, // too few rows to cut by columns
      { m: 100, n: 255, k: 400, ta: false, tb: false, off: 0, seed: 6 }, // too few columns
      { m: 8, n: 2048, k: 600, ta: false, tb: true, off: 1, seed: 7 }, // decoding's few-row x·Wᵀ
    ]) {
      expect(worstError(c, product(c, 2), reference(c))).toBeLessThan(1);
    }
  });
});
