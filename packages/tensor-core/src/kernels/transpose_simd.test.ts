import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues } from '@healthgpt/testing';
import { swapRowsOnMemory, transposeOnMemory, transposeSimdOn } from './transpose_simd.js';
import { WebAssemblyApi } from './wasm_simd.js';

const GUARD = 16;

/**
 * Transpose `batch` [rows, cols] int32 matrices with the SIMD kernel on a fresh memory (shared or
 * plain), the source at an odd 4-byte offset; returns the destination and the words around it.
 */
function runOn(shared: boolean, batch: number, rows: number, cols: number) {
  const n = batch * rows * cols;
  const memory = new WebAssemblyApi.Memory({ initial: Math.ceil(((2 * n + 4 * GUARD) * 4) / 65536) + 1, ...(shared ? { maximum: 64, shared: true } : {}) });
  const heap = new Int32Array(memory.buffer);
  const src = GUARD + 1; // word offsets; not 16-byte aligned
  const dst = src + n + GUARD;
  for (let i = 0; i < n; i++) heap[src + i] = i * 7 - 3;
  heap.fill(-9, dst - GUARD, dst + n + GUARD);
  expect(transposeOnMemory(memory, src * 4, dst * 4, batch, rows, cols)).toBe(true);
  return { heap, src, dst, n };
}

describe('transposes in WebAssembly SIMD (4×4 blocks in bands, JavaScript edges)', () => {
  it('swap the last two axes of every matrix exactly, on shared and plain memory, writing nothing else (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 75 }), fc.integer({ min: 1, max: 75 }), fc.boolean(), (batch, rows, cols, shared) => {
        const { heap, src, dst, n } = runOn(shared, batch, rows, cols);
        for (let b = 0; b < batch; b++)
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < cols; j++) {
              const got = heap[dst + b * rows * cols + j * rows + i];
              const want = heap[src + b * rows * cols + i * cols + j];
              if (got !== want) expect.fail(`[${b}, ${i}, ${j}] of [${batch}, ${rows}, ${cols}]: ${got}, want ${want}`);
            }
        expect(heap.subarray(dst - GUARD, dst).every((v) => v === -9)).toBe(true);
        expect(heap.subarray(dst + n, dst + n + GUARD).every((v) => v === -9)).toBe(true);
        expect(Array.from(heap.subarray(src, src + n), (v, i) => v === i * 7 - 3).every(Boolean)).toBe(true); // the source is untouched
      }),
      { numRuns: 80 },
    );
  });

  it('move whole rows, [A, R, C, D] → [A, C, R, D], exactly, on shared and plain memory, writing nothing else (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(4, 8, 12, 64), fc.boolean(), (a, r, c, d, shared) => {
        const n = a * r * c * d;
        const memory = new WebAssemblyApi.Memory({ initial: 2, ...(shared ? { maximum: 4, shared: true } : {}) });
        const heap = new Int32Array(memory.buffer);
        const [src, dst] = [GUARD, 2 * GUARD + n];
        for (let i = 0; i < n; i++) heap[src + i] = i * 5 + 1;
        heap.fill(-9, dst - GUARD, dst + n + GUARD);
        expect(swapRowsOnMemory(memory, src * 4, dst * 4, [a, r, c, d])).toBe(true);
        for (let ai = 0; ai < a; ai++)
          for (let ri = 0; ri < r; ri++)
            for (let ci = 0; ci < c; ci++)
              for (let e = 0; e < d; e++) {
                const got = heap[dst + ((ai * c + ci) * r + ri) * d + e];
                const want = heap[src + ((ai * r + ri) * c + ci) * d + e];
                if (got !== want) expect.fail(`[${ai}, ${ci}, ${ri}, ${e}] of [${a}, ${c}, ${r}, ${d}]: ${got}, want ${want}`);
              }
        expect(heap.subarray(dst - GUARD, dst).every((v) => v === -9)).toBe(true);
        expect(heap.subarray(dst + n, dst + n + GUARD).every((v) => v === -9)).toBe(true);
      }),
      { numRuns: 80 },
    );
    expect(swapRowsOnMemory(new WebAssemblyApi.Memory({ initial: 1 }), 0, 64, [1, 2, 2, 3])).toBe(false); // rows not a multiple of 16 bytes
  });

  it('moves float32 bit patterns unchanged (NaN payloads, −0, subnormals) on a training-sized matrix', () => {
    const [rows, cols] = [128, 172];
    const memory = new WebAssemblyApi.Memory({ initial: 4 });
    const f = new Float32Array(memory.buffer);
    const bits = new Uint32Array(memory.buffer);
    const values = randomValues(rows * cols, 3);
    f.set(values, 0);
    [0x7fc01234, 0x80000000, 0x00000001, 0xff800000].forEach((b, i) => (bits[i * 1001] = b));
    const before = bits.slice(0, rows * cols);
    expect(transposeOnMemory(memory, 0, rows * cols * 4, 1, rows, cols)).toBe(true);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (bits[rows * cols + j * rows + i] !== before[i * cols + j]) expect.fail(`[${i}, ${j}]`);
  });

  it('compiles on this engine (the wasm backend then uses it)', () => {
    expect(transposeSimdOn(new WebAssemblyApi.Memory({ initial: 1 }))).not.toBeNull();
  });

  it('serves the wasm Transpose and transposed BatchMatMul operands bit for bit like the cpu backend', async () => {
    for (const [shape, perm] of [
      [[37, 130], [1, 0]],
      [[3, 64, 41], [0, 2, 1]],
      [[2, 3, 5, 8], [0, 1, 3, 2]],
      [[2, 5, 3, 8], [0, 2, 1, 3]], // heads split and merged: row copies
      [[5, 3, 12], [1, 0, 2]],
    ] as [number[], number[]][]) {
      const v = randomValues(shape.reduce((a, b) => a * b, 1), shape.length);
      const { wasm, cpu } = await wasmAndCpu(() => tf.transpose(tf.tensor(v, shape), perm));
      expect(wasm.shape).toEqual(cpu.shape);
      expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
    }
    // Products with an identity are exact (x·1 plus zeros), so the transposed operands show bit for bit:
    // aᵀ·I (a transposed into the left operand) and I·bᵀ with batched b (the batched operand's copy).
    const a = randomValues(45 * 9, 5);
    const b = randomValues(2 * 13 * 9, 6);
    const { wasm, cpu } = await wasmAndCpu(() =>
      tf.concat([tf.matMul(tf.tensor(a, [45, 9]), tf.eye(45), true, false).reshape([-1]), tf.matMul(tf.stack([tf.eye(9), tf.eye(9)]), tf.tensor(b, [2, 13, 9]), false, true).reshape([-1])]),
    );
    const want = [...tf.tidy(() => tf.transpose(tf.tensor(a, [45, 9])).dataSync()), ...tf.tidy(() => tf.transpose(tf.tensor(b, [2, 13, 9]), [0, 2, 1]).dataSync())];
    expect(Array.from(cpu.values)).toEqual(want);
    expect(Array.from(wasm.values)).toEqual(want);
  });
});
