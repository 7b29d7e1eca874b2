import { tf, type Tensor } from '@healthgpt/tensor-core';
import type { CLIPVisionModel } from '@healthgpt/vision-encoder';
import { TrainerError } from '../errors.js';

/**
 * Features a linear probe reads: the mean over patch tokens (CLS dropped) of hidden state
 * `layer` (default −2, what HealthGPT's comprehension reads), for images [N, 3, S, S].
 */
export function towerFeatures(tower: CLIPVisionModel, pixels: Tensor, { layer = -2, batchSize = 32 } = {}): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < pixels.shape[0]; i += batchSize) {
    const f = tf.tidy(() => {
      const x = pixels.slice([i, 0, 0, 0], [Math.min(batchSize, pixels.shape[0] - i), -1, -1, -1]);
      const hs = tower.forward(x).hiddenStates;
      const h = hs[(layer + hs.length) % hs.length]; // [b, N + 1, D]
      return tf.mean(h.slice([0, 1, 0], [-1, -1, -1]), 1); // [b, D]
    });
    out.push(...(f.arraySync() as number[][]));
    f.dispose();
  }
  return out;
}

/**
 * A linear probe: ridge-regularised least squares onto one-hot labels (closed form, float64,
 * features standardised on the training set), predicting the arg-max. Returns the accuracy on
 * the test features. Deterministic; no tuning on the test set.
 */
export function linearProbe(train: { x: number[][]; y: string[] }, test: { x: number[][]; y: string[] }, { lambda = 1e-2 } = {}): number {
  TrainerError.check(train.x.length === train.y.length && test.x.length === test.y.length && train.x.length > 0 && test.x.length > 0, 'ARGUMENT', `'linearProbe' needs as many labels as feature rows, and rows in both sets`);
  const classes = [...new Set(train.y)].sort();
  const d = train.x[0].length;
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const r of train.x) r.forEach((v, j) => (mu[j] += v / train.x.length));
  for (const r of train.x) r.forEach((v, j) => (sd[j] += (v - mu[j]) ** 2 / train.x.length));
  const z = (r: number[]) => [...r.map((v, j) => (v - mu[j]) / Math.sqrt(sd[j] + 1e-12)), 1];
  const X = train.x.map(z);
  const D = d + 1;
  const A = Array.from({ length: D }, (_, i) => Float64Array.from({ length: D }, (_, j) => (i === j && i < d ? lambda * X.length : 0)));
  const B = Array.from({ length: D }, () => new Float64Array(classes.length));
  X.forEach((r, n) => {
    const k = classes.indexOf(train.y[n]);
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) A[i][j] += r[i] * r[j];
      B[i][k] += r[i];
    }
  });
  const W = solve(A, B);
  let right = 0;
  test.x.forEach((r, n) => {
    const f = z(r);
    let best = 0;
    let bestV = -Infinity;
    for (let k = 0; k < classes.length; k++) {
      let v = 0;
      for (let i = 0; i < D; i++) v += f[i] * W[i][k];
      if (v > bestV) [best, bestV] = [k, v];
    }
    if (classes[best] === test.y[n]) right++;
  });
  return right / test.x.length;
}

/** Solve A·W = B by Gaussian elimination with partial pivoting (A symmetric positive definite here). */
function solve(A: Float64Array[], B: Float64Array[]): Float64Array[] {
  const n = A.length;
  const a = A.map((r) => Float64Array.from(r));
  const b = B.map((r) => Float64Array.from(r));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    [b[c], b[p]] = [b[p], b[c]];
    const piv = a[c][c] || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / piv;
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r][k] -= f * a[c][k];
      for (let k = 0; k < b[r].length; k++) b[r][k] -= f * b[c][k];
    }
  }
  return b.map((row, i) => row.map((v) => v / (a[i][i] || 1e-12)));
}
