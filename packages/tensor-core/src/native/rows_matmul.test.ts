import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { nativeAddon, nativeBlas, nativeStatus } from '../kernels/native.js';

/**
 * The addon's decoding dot product in JS, float32 step by step: element i into lane i mod 32 (a
 * rounded product, then a rounded add), the 32 lanes reduced in the kernel's one order. The AVX-512, AVX2
 * and the portable kernels must all give exactly these bits.
 */
function dotInOrder(x: ArrayLike<number>, xo: number, w: ArrayLike<number>, wo: number, n: number): number {
  const acc = new Float32Array(32);
  for (let i = 0; i < n; i++) acc[i % 32] = acc[i % 32] + Math.fround(x[xo + i] * w[wo + i]);
  const f = Math.fround;
  const b = Array.from({ length: 8 }, (_, j) => f(f(acc[j] + acc[j + 8]) + f(acc[j + 16] + acc[j + 24])));
  return f(f(f(b[0] + b[4]) + f(b[1] + b[5])) + f(f(b[2] + b[6]) + f(b[3] + b[7])));
}

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 2.3 + i * 0.61) * 2));
const int8s = (n: number, seed: number) => Int8Array.from({ length: n }, (_, i) => Math.round(127 * Math.sin(seed * 1.7 + i * 1.3)));

/** The sgemm call of x [rows, in] · W [out, in]ᵀ on one buffer (as on the wasm heap); returns y. */
function product(x: Float32Array, w: Float32Array, rows: number, out: number, inF: number, off: number): Float32Array {
  const heap = new Float32Array(off + x.length + w.length + rows * out).fill(NaN);
  heap.set(x, off);
  heap.set(w, off + x.length);
  const yOff = off + x.length + w.length;
  nativeBlas()!.sgemm(heap, off, heap, off + x.length, heap, yOff, 1, 0, 0, rows, out, inF, 0, 1);
  return heap.slice(yOff);
}

/** Run under each thread count (the decoding products follow the BLAS's); restores it. */
function eachThreads<T>(counts: number[], fn: () => T): T[] {
  const addon = nativeAddon()!;
  const before = addon.blasInfo()!.threads;
  try {
    return counts.map((n) => (addon.setThreads(n), fn()));
  } finally {
    addon.setThreads(before);
  }
}

const skipReason = () => nativeStatus().reason ?? 'no BLAS';

describe('decoding products on the native path (x·Wᵀ with few rows, float32 and int8 weights)', () => {
  it('float32: every output is the fixed-order dot product, bit for bit, on random shapes and offsets', () => {
    if (!nativeBlas()) return void expect(skipReason()).not.toBe('');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 999 }), (rows, out, inF, off, seed) => {
        const x = values(rows * inF, seed);
        const w = values(out * inF, seed + 1);
        const y = product(x, w, rows, out, inF, off);
        for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) expect(y[r * out + o], `y[${r}, ${o}]`).toBe(dotInOrder(x, r * inF, w, o * inF, inF));
      }),
      { numRuns: 40 },
    );
  });

  it('int8: every output is the fixed-order dot product times the scale, bit for bit', () => {
    const addon = nativeAddon();
    if (!addon?.int8Matmul) return void expect(skipReason()).not.toBe('');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 0, max: 999 }), (rows, out, inF, seed) => {
        const x = values(rows * inF, seed);
        const q = int8s(out * inF, seed);
        const scales = values(out, seed + 2).map(Math.abs);
        const y = new Float32Array(rows * out);
        addon.int8Matmul!(x, 0, q, scales, y, 0, rows, out, inF);
        for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) expect(y[r * out + o], `y[${r}, ${o}]`).toBe(Math.fround(dotInOrder(x, r * inF, q, o * inF, inF) * scales[o]));
      }),
      { numRuns: 40 },
    );
  });

  it('splits a large layer across threads with the same bits as one thread (float32 and int8), many times over', () => {
    const addon = nativeAddon();
    if (!nativeBlas() || !addon?.int8Matmul) return void expect(skipReason()).not.toBe('');
    const [rows, out, inF] = [2, 3001, 517]; // ~6 MB of float32 weights: about 200 blocks
    const x = values(rows * inF, 5);
    const w = values(out * inF, 6);
    const q = int8s(out * inF, 7);
    const scales = values(out, 8).map(Math.abs);
    const run = () => {
      const yq = new Float32Array(rows * out);
      addon.int8Matmul!(x, 0, q, scales, yq, 0, rows, out, inF);
      return [Buffer.from(product(x, w, rows, out, inF, 3).buffer), Buffer.from(yq.buffer)];
    };
    const [single, ...multi] = eachThreads([1, 2, 3, 2, 4, 2, 2, 3, 2, 2, 2], run);
    for (const [i, [f, i8]] of multi.entries()) {
      expect(f.equals(single[0]), `float32, run ${i}`).toBe(true);
      expect(i8.equals(single[1]), `int8, run ${i}`).toBe(true);
    }
    const y = new Float32Array(single[0].buffer, single[0].byteOffset, rows * out);
    for (const o of [0, 1, 1500, 3000]) expect(y[out + o]).toBe(dotInOrder(x, inF, w, o * inF, inF));
  });
});
