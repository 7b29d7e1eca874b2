import { tf, type Tensor } from '@healthgpt/tensor-core';

/**
 * Position ids of the last `t` of `tk` slots per row, from a flat [B, Tk] mask, by HF generate's
 * rule: `cumsum(mask) − 1`, with masked slots at 1. Plain JS: the mask is small.
 */
export function positionsFromMask(mask: ArrayLike<number>, b: number, tk: number, t: number): Int32Array {
  const out = new Int32Array(b * t);
  for (let r = 0; r < b; r++) {
    let c = 0;
    for (let j = 0; j < tk; j++) {
      const on = mask[r * tk + j] !== 0;
      if (on) c++;
      if (j >= tk - t) out[r * t + j - (tk - t)] = on ? c - 1 : 1;
    }
  }
  return out;
}

/** Positions `past … past + t − 1` for each of `b` rows. */
export function positionsRange(b: number, past: number, t: number): Int32Array {
  const out = new Int32Array(b * t);
  for (let i = 0; i < out.length; i++) out[i] = past + (i % t);
  return out;
}

/**
 * Rotary tables for flat positions [B·T]: cos and sin of `cat[ang, ang]` with
 * ang = pos · theta^(−2i/hd), each [B, 1, T, hd]. Built in JS with float32 rounding of the
 * frequencies and angles (as tfjs and PyTorch compute them), which saves a dozen kernel launches
 * per decoding step.
 */
export function rotaryTables(positions: ArrayLike<number>, b: number, t: number, hd: number, theta: number): { cos: Tensor; sin: Tensor } {
  const half = hd / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / hd);
  const cos = new Float32Array(b * t * hd);
  const sin = new Float32Array(b * t * hd);
  for (let p = 0; p < b * t; p++) {
    const pos = Math.fround(positions[p]);
    for (let i = 0; i < half; i++) {
      const ang = Math.fround(pos * inv[i]);
      const c = Math.cos(ang);
      const s = Math.sin(ang);
      cos[p * hd + i] = cos[p * hd + half + i] = c;
      sin[p * hd + i] = sin[p * hd + half + i] = s;
    }
  }
  return { cos: tf.tensor4d(cos, [b, 1, t, hd]), sin: tf.tensor4d(sin, [b, 1, t, hd]) };
}
