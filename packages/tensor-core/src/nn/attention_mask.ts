import { tf, type Tensor } from '../tf.js';
import { TensorCoreError, checkRank } from '../errors.js';

/** Added to masked scores; large enough that exp() underflows to exactly 0 after the max shift. */
export const MASK_VALUE = -1e9;

export interface MaskOptions {
  /** Query i (absolute position Tk − Tq + i) sees keys j ≤ that position. */
  causal?: boolean;
  /** Key padding mask [B, Tk]: 1 (or true) keeps a key, 0 hides it. */
  keyMask?: Tensor;
  /** With `causal`: also hide keys more than this many positions behind the query (HF sliding window). */
  slidingWindow?: number | null;
}

/** Causal additive masks as host arrays, per (Tq, Tk, window): a bounded cache of plain data, so no kept tensor. */
const CAUSAL_CACHE = new Map<string, Float32Array>();
const CAUSAL_CACHE_MAX = 8;
/** Masks larger than this many values (4 MB) are rebuilt on each call rather than cached. */
const CAUSAL_CACHE_MAX_SIZE = 1 << 20;

/**
 * The [Tq, Tk] causal mask data: 0 where key j ≤ slot = Tk − Tq + i (and slot − j ≤ window when
 * one is given), MASK_VALUE elsewhere. Most recent use last.
 */
function causalMaskData(tq: number, tk: number, window: number | null): Float32Array {
  const key = `${tq},${tk},${window}`;
  let data = CAUSAL_CACHE.get(key);
  if (data) {
    CAUSAL_CACHE.delete(key);
  } else {
    data = new Float32Array(tq * tk);
    for (let i = 0; i < tq; i++) {
      const slot = tk - tq + i;
      data.fill(MASK_VALUE, i * tk + Math.max(0, slot + 1), (i + 1) * tk);
      if (window !== null) data.fill(MASK_VALUE, i * tk, i * tk + Math.max(0, Math.min(tk, slot - window)));
    }
    if (tq * tk > CAUSAL_CACHE_MAX_SIZE) return data; // too large to keep: built per call
    if (CAUSAL_CACHE.size >= CAUSAL_CACHE_MAX) CAUSAL_CACHE.delete(CAUSAL_CACHE.keys().next().value as string);
  }
  CAUSAL_CACHE.set(key, data);
  return data;
}

/**
 * The causal + sliding-window + key-padding additive mask, [B or 1, 1, Tq, Tk]: 0 where key j is
 * visible to query i, MASK_VALUE elsewhere. Null when it would hide nothing (no padding, and a
 * single query whose window reaches every key: the decoding step), so callers skip the add.
 */
export function attentionMask(tq: number, tk: number, { causal = false, keyMask, slidingWindow = null }: MaskOptions): Tensor | null {
  if (keyMask) checkRank(keyMask.shape, 2, 'keyMask', 'attentionMask');
  TensorCoreError.check(slidingWindow === null || (Number.isInteger(slidingWindow) && slidingWindow >= 0), 'ARGUMENT', `'slidingWindow' passed to 'attentionMask' must be a non-negative integer or null, got ${slidingWindow}`);
  // The window hides something only when the last query's window starts after key 0.
  const window = causal && slidingWindow !== null && tk - 1 > slidingWindow ? slidingWindow : null;
  const causalHides = causal && (tq > 1 || window !== null);
  if (!causalHides && !keyMask) return null;
  // The causal part is uploaded from cached host data: one tensor, no kernels (it used to be
  // Range / LessEqual / Select on every call). A copy, since the cpu backend keeps the array it is given.
  const causalMask = causalHides ? tf.tensor4d(causalMaskData(tq, tk, window).slice(), [1, 1, tq, tk], 'float32') : null;
  if (!keyMask) return causalMask;
  return tf.tidy(() => {
    const km = tf.notEqual(keyMask, 0).reshape([keyMask.shape[0], 1, 1, tk]);
    const padMask = tf.where(km, tf.scalar(0), tf.scalar(MASK_VALUE));
    if (!causalMask) return padMask;
    // Both parts are 0 or MASK_VALUE: the minimum is MASK_VALUE where either hides the key.
    const m = tf.minimum(causalMask, padMask);
    causalMask.dispose();
    return m;
  });
}
