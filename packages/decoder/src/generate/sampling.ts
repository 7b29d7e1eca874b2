import type { Generator } from '@healthgpt/tensor-core';
import { softmax } from './processors.js';

/** The first index of the largest value. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Draw an id from softmax(logits) with `gen` (−Infinity entries are never drawn). */
export function sample(logits: Float32Array, gen: Generator): number {
  const p = softmax(logits);
  const u = gen.random();
  let acc = 0;
  let last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    acc += p[i];
    last = i;
    if (u < acc) return i;
  }
  return last;
}
