import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, rmsNorm, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks, randomValues, withoutNativePath } from '@healthgpt/testing';
import { rmsNormSimdOn, simdRmsNormServes } from './rms_norm_simd.js';
import { WebAssemblyApi } from './wasm_simd.js';

/** float32's unit roundoff. */
const U = 2 ** -24;
const TINY = 1e-30;

/**
 * RMSNorm forward and backward in float64 from float32 inputs (dy = probe), with a bound on the
 * SIMD kernels' error per element, from one relative rounding u per float32 operation:
 * - Σx² over D terms in four lanes of D/4, then three adds: (D/4 + 3)u relative (all terms ≥ 0);
 *   ÷ D, + eps, √ (which halves what came before) and 1/· add u each: r is off by
 *   ρ = (D/4 + 3)u/2 + 3u relative, and y = fl(fl(x·r)·w) by ρ + 2u.
 * - s = Σ fl(fl(dy·w)·x) in four lanes: (D/4 + 5)u·A with A = Σ|dy·w·x|; k = fl(fl(r·r)·s)/D) is off
 *   by r²/D·(D/4 + 5)u·A + |k|(2ρ + 4u); dx = fl(r·fl(fl(dy·w) − fl(x·k))) by
 *   r·(u|dy·w| + |x|·err(k) + u|inner|) + (ρ + u)·r·|inner|.
 * - dw = Σ over N rows of fl(fl(dy·x)·r), added in float32 from zero: (N + 2)u + ρ relative to
 *   Σ|dy·x·r|.
 * The checks allow twice these bounds.
 */
function reference(x: Float32Array, w: Float32Array, dy: Float32Array, d: number, eps: number) {
  const rows = x.length / d;
  const rho = ((d / 4 + 3) * U) / 2 + 3 * U;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const tolY = new Float64Array(x.length);
  const tolDx = new Float64Array(x.length);
  const dw = new Float64Array(d);
  const absDw = new Float64Array(d);
  for (let row = 0; row < rows; row++) {
    const o = row * d;
    let ss = 0;
    let s = 0;
    let a = 0;
    for (let i = 0; i < d; i++) {
      ss += x[o + i] * x[o + i];
      s += dy[o + i] * w[i] * x[o + i];
      a += Math.abs(dy[o + i] * w[i] * x[o + i]);
    }
    const r = 1 / Math.sqrt(ss / d + eps);
    const k = (r * r * s) / d;
    const errK = ((r * r) / d) * (d / 4 + 5) * U * a + Math.abs(k) * (2 * rho + 4 * U);
    for (let i = 0; i < d; i++) {
      const j = o + i;
      y[j] = x[j] * r * w[i];
      tolY[j] = 2 * (rho + 2 * U) * Math.abs(y[j]) + TINY;
      const inner = dy[j] * w[i] - x[j] * k;
      dx[j] = r * inner;
      tolDx[j] = 2 * (r * (U * Math.abs(dy[j] * w[i]) + Math.abs(x[j]) * errK + U * Math.abs(inner)) + (rho + U) * r * Math.abs(inner)) + TINY;
      dw[i] += dy[j] * x[j] * r;
      absDw[i] += Math.abs(dy[j] * x[j] * r);
    }
  }
  const tolDw = Array.from(absDw, (b) => 2 * ((rows + 2) * U + rho) * b + TINY);
  return { y, dx, dw, tolY, tolDx, tolDw };
}

/** y, dx and dw of Σ rmsNorm(x, w)·probe. */
function run(x: Tensor, w: Tensor, probe: Tensor, eps: number): Float32Array[] {
  const outs = tf.tidy(() => [rmsNorm(x, w, eps), ...tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(rmsNorm(a, b, eps), probe)))([x, w])]);
  const arrays = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return arrays;
}

function expectWithin(got: Float32Array, want: ArrayLike<number>, tol: ArrayLike<number>, what: string): void {
  for (let i = 0; i < got.length; i++) if (!(Math.abs(got[i] - want[i]) <= tol[i])) expect.fail(`${what}[${i}]: ${got[i]} vs ${want[i]} (bound ${tol[i]})`);
}

describeBackends(
  'rmsNorm under a gradient tape on wasm without the native addon: WebAssembly SIMD kernels',
  () => {
    withoutNativePath(); // the native RMSNorm would serve it otherwise

    it('value, dx and dw follow float64 within the float32 rounding bound (property)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 24 }), fc.constantFrom(1e-6, 1e-5, 1e-2), fc.double({ min: -2, max: 2, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), (rows, quads, eps, offset, seed) => {
          const d = 4 * quads;
          const n = rows * d;
          const xs = randomValues(n, seed).map((v, i) => (i % 11 === 5 ? 0 : 2 * v + offset));
          const ws = randomValues(d, seed + 1).map((v) => 1.5 * v);
          const ps = randomValues(n, seed + 2);
          const [x, w, probe] = [tf.tensor(xs, [rows, d]), tf.tensor(ws, [d]), tf.tensor(ps, [rows, d])];
          expect(simdRmsNormServes(x, w)).toBe(true);
          const [y, dx, dw] = run(x, w, probe, eps);
          const ref = reference(xs, ws, ps, d, eps);
          expectWithin(y, ref.y, ref.tolY, 'y');
          expectWithin(dx, ref.dx, ref.tolDx, 'dx');
          expectWithin(dw, ref.dw, ref.tolDw, 'dw');
          tf.dispose([x, w, probe]);
        }),
        { numRuns: 60 },
      );
    });

    it('runs its two kernels (no row-mean matmul), and falls back to tfjs ops for D not a multiple of 4', async () => {
      const x = tf.tensor(randomValues(3 * 2 * 8, 4), [3, 2, 8]);
      const w = tf.tensor(randomValues(8, 5), [8]);
      const grads = () => tf.tidy(() => tf.grads((a: Tensor, b: Tensor) => tf.sum(rmsNorm(a, b)))([x, w]));
      const names = (await tf.profile(grads)).kernelNames;
      expect(names).toEqual(expect.arrayContaining(['HealthgptRmsNormSimd', 'HealthgptRmsNormSimdGrad']));
      expect(names).not.toContain('BatchMatMul');
      const odd = tf.tensor(randomValues(6, 6), [2, 3]);
      expect(simdRmsNormServes(odd, tf.ones([3]))).toBe(false);
      expect((await tf.profile(() => tf.tidy(() => rmsNorm(odd, tf.ones([3]))))).kernelNames).not.toContain('HealthgptRmsNormSimd');
      await expectNoLeaks(grads, { what: 'SIMD rmsNorm forward and backward' });
      tf.dispose([x, w, odd]);
    });
  },
  { only: ['wasm'] },
);

it('the SIMD module also runs on a plain (one-thread build) memory, writing only its outputs', () => {
  const memory = new WebAssemblyApi.Memory({ initial: 1 });
  const k = rmsNormSimdOn(memory)!;
  expect(k).not.toBeNull();
  const [rows, d, eps] = [3, 8, 1e-6];
  const heap = new Float32Array(memory.buffer);
  const xs = randomValues(rows * d, 9);
  const ws = randomValues(d, 10);
  const dys = randomValues(rows * d, 11);
  heap.set(xs, 0);
  heap.set(ws, 64);
  heap.set(dys, 128);
  heap.fill(7, 256, 512);
  heap.fill(0, 448, 448 + d); // dw starts at zero
  // y at 256, r at 320, dx at 384, dw at 448 (floats); byte addresses below.
  k.rms(0, 256, 1024, 1280, rows, d * 4, eps, d);
  k.rmsGrad(512, 0, 1280, 256, 1536, 1792, rows, d * 4, d);
  const ref = reference(xs, ws, dys, d, eps);
  expectWithin(heap.slice(256, 256 + rows * d), ref.y, ref.tolY, 'y');
  expectWithin(heap.slice(384, 384 + rows * d), ref.dx, ref.tolDx, 'dx');
  expectWithin(heap.slice(448, 448 + d), ref.dw, ref.tolDw, 'dw');
  expect(heap.subarray(320 + rows, 384).every((v) => v === 7)).toBe(true);
  expect(heap.subarray(448 + d, 512).every((v) => v === 7)).toBe(true);
});
