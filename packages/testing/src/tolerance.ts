import { expect } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

export interface CloseReport {
  ok: boolean;
  maxAbs: number;
  /** Index of the worst element (flat), relative to its allowance. */
  worst: number;
  count: number;
}

type Arrayish = Tensor | ArrayLike<number>;

function values(x: Arrayish): ArrayLike<number> {
  return x instanceof tf.Tensor ? (x as Tensor).dataSync() : x;
}

/** |a − b| ≤ atol + rtol·|b| elementwise (b is the reference); `mask` (1 = compare) skips entries. */
export function compareClose(actual: Arrayish, expected: Arrayish, { atol = 1e-5, rtol = 0 }: Tolerance = {}, mask?: ArrayLike<number>): CloseReport {
  const a = values(actual);
  const b = values(expected);
  if (a.length !== b.length) return { ok: false, maxAbs: Infinity, worst: -1, count: 0 };
  let maxAbs = 0;
  let worst = -1;
  let worstRatio = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask[i]) continue;
    count++;
    const d = Math.abs(a[i] - b[i]);
    const allow = atol + rtol * Math.abs(b[i]);
    if (!(d <= allow) || Number.isNaN(a[i]) !== Number.isNaN(b[i])) {
      const ratio = Number.isNaN(d) ? Infinity : d / allow;
      if (ratio > worstRatio || worst < 0) {
        worstRatio = ratio;
        worst = i;
      }
    }
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
  }
  return { ok: worst < 0, maxAbs, worst, count };
}

/** Assert closeness, with a message giving the worst element and the max |a − b|. */
export function expectClose(actual: Arrayish, expected: Arrayish, tol: Tolerance = {}, what = 'tensor', mask?: ArrayLike<number>): CloseReport {
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor) {
    expect((actual as Tensor).shape, `${what}: shape`).toEqual((expected as Tensor).shape);
  }
  const a = values(actual);
  const b = values(expected);
  expect(a.length, `${what}: length`).toBe(b.length);
  const r = compareClose(a, b, tol, mask);
  if (!r.ok) {
    const i = r.worst;
    expect.fail(`${what}: not within atol=${tol.atol ?? 1e-5} rtol=${tol.rtol ?? 0}: element ${i} is ${a[i]}, expected ${b[i]} (max |a−b| ${r.maxAbs})`);
  }
  return r;
}

/** Assert exact equality of integer tensors or arrays. */
export function expectEqualInts(actual: Arrayish, expected: Arrayish, what = 'tensor'): void {
  expect(Array.from(values(actual)), what).toEqual(Array.from(values(expected)));
}

/** The unit roundoff of float32 (half an ulp of 1): one rounding moves a value by at most this fraction of it. */
export const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;

/**
 * γₙ = n·u / (1 − n·u), u the float32 unit roundoff: a float32 sum of n terms, or a dot product of
 * length n (its products rounded too), added in any order (sequential, pairwise, several
 * accumulators), is within γₙ·Σ|termᵢ| of the exact value (Higham, "Accuracy and Stability of
 * Numerical Algorithms", §3.1, §4.2). Multiply by the magnitudes actually summed — not by the
 * result, which cancellation can make arbitrarily small.
 */
export function float32SumErrorFactor(n: number): number {
  const nu = Math.max(n, 1) * FLOAT32_UNIT_ROUNDOFF;
  if (nu >= 1) throw new RangeError(`float32SumErrorFactor: n = ${n} is too large for the bound (n·u ≥ 1)`);
  return nu / (1 - nu);
}

/** Assert |actual − expected| ≤ allowance elementwise (a number, or one allowance per entry), naming the worst entry. */
export function expectWithinAllowance(actual: Arrayish, expected: Arrayish, allowance: number | ArrayLike<number>, what = 'tensor'): void {
  const a = values(actual);
  const b = values(expected);
  expect(a.length, `${what}: length`).toBe(b.length);
  const allow = (i: number) => (typeof allowance === 'number' ? allowance : allowance[i]);
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d <= allow(i)) continue;
    const ratio = Number.isNaN(d) ? Infinity : d / allow(i);
    if (worst < 0 || ratio > worstRatio) [worst, worstRatio] = [i, ratio];
  }
  if (worst >= 0) expect.fail(`${what}: element ${worst} is ${a[worst]}, expected ${b[worst]} within ${allow(worst)} (off by ${Math.abs(a[worst] - b[worst])})`);
}
