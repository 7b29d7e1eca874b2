import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { randomValues } from '@healthgpt/testing';
import { rotaryOnMemory, rotarySimdOn } from './rotary_simd.js';
import { rotaryLoop } from './fused_step.js';
import { ROTARY_GRAD } from './rotary_grad.js';
import { WebAssemblyApi, backendMemory } from './wasm_simd.js';
import type { WasmBackend } from './wasm_heap.js';

const GUARD = 8;

describe('RoPE forward and backward in WebAssembly SIMD', () => {
  it('give the JavaScript loops bit for bit, per-batch or shared tables, on shared and plain memory, writing only the output (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(4, 8, 12, 32),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e6 }),
        (b, h, t, half, perBatch, shared, grad, seed) => {
          const d = 2 * half;
          const cb = perBatch ? b : 1;
          const [n, nt] = [b * h * t * d, cb * t * d];
          const memory = new WebAssemblyApi.Memory({ initial: 1, ...(shared ? { maximum: 4, shared: true } : {}) });
          const heap = new Float32Array(memory.buffer);
          // Words: x at 0, cos, sin, then the output between guards (arbitrary tables: halves differ).
          const [x, cos, sin] = [randomValues(n, seed), randomValues(nt, seed + 1), randomValues(nt, seed + 2)];
          const [xo, co, so] = [0, n, n + nt];
          const oo = n + 2 * nt + GUARD;
          heap.set(x, xo);
          heap.set(cos, co);
          heap.set(sin, so);
          heap.fill(-7, oo - GUARD, oo + n + GUARD);
          expect(rotaryOnMemory(memory, [xo * 4, co * 4, so * 4], oo * 4, [b, h, t, d], cb, grad)).toBe(true);
          const want = new Float32Array(n);
          (grad ? ROTARY_GRAD.loop : rotaryLoop)([x, cos, sin], [want], [[b, h, t, d], [cb, 1, t, d]], {});
          const got = heap.slice(oo, oo + n);
          for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) expect.fail(`${grad ? 'dx' : 'y'}[${i}] of [${b}, ${h}, ${t}, ${d}]: ${got[i]}, want ${want[i]}`);
          expect(heap.subarray(oo - GUARD, oo).every((v) => v === -7)).toBe(true);
          expect(heap.subarray(oo + n, oo + n + GUARD).every((v) => v === -7)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('leave heads whose half is not a multiple of 4 to the loops, and run on the wasm backend', async () => {
    const memory = new WebAssemblyApi.Memory({ initial: 1 });
    expect(rotaryOnMemory(memory, [0, 64, 128], 256, [1, 1, 2, 6], 1, false)).toBe(false);
    const previous = tf.getBackend();
    await tf.setBackend('wasm');
    const wasmMemory = backendMemory((tf.backend() as unknown as WasmBackend).wasm);
    expect(wasmMemory && rotarySimdOn(wasmMemory)).not.toBeNull();
    await tf.setBackend(previous);
  });
});
