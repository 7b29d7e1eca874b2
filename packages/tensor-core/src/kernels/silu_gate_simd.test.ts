import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, siluGate, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks, randomValues, withoutNativePath } from '@healthgpt/testing';
import { siluGateSimdOn, simdSiluGateServes } from './silu_gate_simd.js';
import { WebAssemblyApi } from './wasm_simd.js';

/** float32's unit roundoff. */
const U = 2 ** -24;
/** Absolute slack: σ of |g| > 87 (clamped exponent) is off by < 1e-37, times inputs below 1e3. */
const TINY = 1e-30;

/**
 * The SiLU gate and its gradients in float64, with a bound on the SIMD kernels' error from one
 * relative rounding u per float32 operation:
 * - e^y: Horner's 7 steps on |r| ≤ ln2/2 with positive coefficients err by ≤ 14u·e^{2|r|} ≤ 28u
 *   relative, r itself by ≤ 0.4u·… (n·ln2_hi and the first subtraction are exact), the truncated
 *   Taylor tail by < 0.1u: 30u in all, so σ = 1/(1 + e) errs by ≤ 32u.
 * - a = fl(fl(g·σ)·u) and dup = fl(da·fl(g·σ)): 34u relative.
 * - t = σ·(1 + g·(1 − σ)): 1 − σ errs by 32u·σ + u·(1 − σ), so t by 32u·σ·|g| + 34u·|t|; then
 *   dgate = fl(fl(da·u)·t) by |da·u|·err(t) + 2u·|dgate|.
 * The checks allow twice these.
 */
function reference(g: number, u: number, da: number) {
  const s = 1 / (1 + Math.exp(-g));
  const a = g * s * u;
  const du = da * g * s;
  const t = s * (1 + g * (1 - s));
  const dg = da * u * t;
  return {
    a,
    du,
    dg,
    tolA: 2 * 34 * U * Math.abs(a) + TINY,
    tolDu: 2 * 34 * U * Math.abs(du) + TINY,
    tolDg: 2 * (Math.abs(da * u) * (32 * U * s * Math.abs(g) + 34 * U * Math.abs(t)) + 2 * U * Math.abs(dg)) + TINY,
  };
}

/** Gates mostly in [−8, 8), every 13th far out (±20…±100: saturated σ, the clamped exponent). */
const gates = (n: number, seed: number) => randomValues(n, seed).map((v, i) => (i % 13 === 6 ? Math.sign(v || 1) * (20 + 80 * Math.abs(v)) : 8 * v));

function check(got: ArrayLike<number>, want: number[], tol: number[], what: string): void {
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i] - want[i]) <= tol[i])) expect.fail(`${what}[${i}]: ${got[i]} vs ${want[i]} (bound ${tol[i]})`);
}

describeBackends(
  'siluGate under a gradient tape on wasm without the native addon: WebAssembly SIMD kernels',
  () => {
    withoutNativePath(); // the native SiLU gate would serve it otherwise

    it('value and gradients (fused gate_up and separate gate, up) follow float64 within the float32 rounding bound (property)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 16 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (rows, quads, fused, seed) => {
          const n = 4 * quads;
          const gs = gates(rows * n, seed);
          const us = randomValues(rows * n, seed + 1).map((v) => 3 * v);
          const das = randomValues(rows * n, seed + 2).map((v) => 3 * v);
          const ref = Array.from(gs, (g, i) => reference(g, us[i], das[i]));
          tf.tidy(() => {
            const g = tf.tensor(gs, [rows, n]);
            const u = tf.tensor(us, [rows, n]);
            const da = tf.tensor(das, [rows, n]);
            const x = fused ? tf.concat([g, u], 1) : g;
            expect(simdSiluGateServes(x, fused ? undefined : u)).toBe(true);
            const f = fused ? (a: Tensor) => siluGate(a) : (a: Tensor, b: Tensor) => siluGate(a, b);
            const inputs = fused ? [x] : [x, u];
            const a = (f as (...t: Tensor[]) => Tensor)(...inputs).dataSync();
            const grads = tf.grads((...t: Tensor[]) => tf.sum(tf.mul((f as (...t: Tensor[]) => Tensor)(...t), da)))(inputs);
            const [dgs, dus] = fused ? tf.split(grads[0], 2, 1) : grads;
            check(a, ref.map((r) => r.a), ref.map((r) => r.tolA), 'a');
            check(dgs.dataSync(), ref.map((r) => r.dg), ref.map((r) => r.tolDg), 'dgate');
            check(dus.dataSync(), ref.map((r) => r.du), ref.map((r) => r.tolDu), 'dup');
          });
        }),
        { numRuns: 60 },
      );
    });

    it('runs its two kernels (no split, Sigmoid or concat), falls back to tfjs ops for I not a multiple of 4, and leaks nothing', async () => {
      const x = tf.tensor(randomValues(2 * 3 * 16, 4), [2, 3, 16]);
      const grads = () => tf.tidy(() => tf.grad((a: Tensor) => tf.sum(siluGate(a)))(x));
      const names = (await tf.profile(grads)).kernelNames;
      expect(names).toEqual(expect.arrayContaining(['HealthgptSiluGateSimd', 'HealthgptSiluGateSimdGrad']));
      for (const k of ['SplitV', 'Sigmoid', 'Concat']) expect(names).not.toContain(k);
      const odd = tf.tensor(randomValues(12, 5), [2, 6]);
      expect(simdSiluGateServes(odd)).toBe(false);
      expect((await tf.profile(() => tf.tidy(() => siluGate(odd)))).kernelNames).not.toContain('HealthgptSiluGateSimd');
      await expectNoLeaks(grads, { what: 'SIMD siluGate forward and backward' });
      await expectNoLeaks(() => tf.tidy(() => tf.grads((a: Tensor, b: Tensor) => tf.sum(siluGate(a, b)))([x, x])), { what: 'SIMD siluGate (gate, up) forward and backward' });
      tf.dispose([x, odd]);
    });
  },
  { only: ['wasm'] },
);

it('the SIMD module also runs on a plain (one-thread build) memory, writing only its outputs', () => {
  const memory = new WebAssemblyApi.Memory({ initial: 1 });
  const k = siluGateSimdOn(memory)!;
  expect(k).not.toBeNull();
  const [rows, n] = [3, 8];
  const heap = new Float32Array(memory.buffer);
  const gs = gates(rows * n, 21);
  const us = randomValues(rows * n, 22);
  const das = randomValues(rows * n, 23);
  for (let r = 0; r < rows; r++) {
    heap.set(gs.subarray(r * n, r * n + n), r * 2 * n); // x [rows, 2n] at float 0: gate; up
    heap.set(us.subarray(r * n, r * n + n), r * 2 * n + n);
  }
  heap.set(das, 64);
  heap.fill(7, 128, 256);
  // a at float 128, dx [rows, 2n] at 160 (bytes below)
  k.silu(0, n * 4, 2 * n * 4, 512, rows, n * 4);
  k.siluGrad(0, n * 4, 2 * n * 4, 256, 640, 640 + n * 4, 2 * n * 4, rows, n * 4);
  const ref = Array.from(gs, (g, i) => reference(g, us[i], das[i]));
  check(heap.slice(128, 128 + rows * n), ref.map((r) => r.a), ref.map((r) => r.tolA), 'a');
  const dx = heap.slice(160, 160 + 2 * rows * n);
  const rowsOf = (half: number) => Array.from({ length: rows * n }, (_, i) => dx[Math.floor(i / n) * 2 * n + half * n + (i % n)]);
  check(rowsOf(0), ref.map((r) => r.dg), ref.map((r) => r.tolDg), 'dgate');
  check(rowsOf(1), ref.map((r) => r.du), ref.map((r) => r.tolDu), 'dup');
  expect(heap.subarray(128 + rows * n, 160).every((v) => v === 7)).toBe(true);
  expect(heap.subarray(160 + 2 * rows * n, 256).every((v) => v === 7)).toBe(true);
});
