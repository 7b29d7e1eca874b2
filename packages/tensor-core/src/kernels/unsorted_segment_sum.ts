/**
 * UnsortedSegmentSum as an O(N·D) scatter-add: out[ids[i], :] += x[i, :]. It is the gradient of
 * `gather` (every embedding lookup). tfjs-backend-wasm 4.22 does not register it, and the cpu
 * backend's kernel is O(segments·N·D) (56 s of a 60 s training step). Ids outside
 * [0, numSegments) are dropped, as in TensorFlow.
 */
import { tf } from '../tf.js';

/** Scatter-add rows of `x` ([n, d] flattened) into `out` ([segments, d], zeroed here). */
export function scatterAdd(x: ArrayLike<number>, ids: ArrayLike<number>, d: number, segments: number, out: Float32Array | Int32Array): void {
  out.fill(0);
  const n = ids.length;
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= segments) continue;
    const src = i * d;
    const dst = s * d;
    for (let j = 0; j < d; j++) out[dst + j] += x[src + j];
  }
}

/** Output shape and row width of UnsortedSegmentSum(x, ids, numSegments). */
export function segmentSumShape(xShape: number[], idsShape: number[], numSegments: number): { shape: number[]; d: number } {
  const prefix = xShape.slice(0, idsShape.length);
  if (prefix.length !== idsShape.length || prefix.some((v, i) => v !== idsShape[i])) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape [${idsShape}] must be a prefix of x shape [${xShape}]`);
  }
  const rest = xShape.slice(idsShape.length);
  return { shape: [numSegments, ...rest], d: tf.util.sizeFromShape(rest) };
}
