import { tf, type Tensor } from '../tf.js';
import { TensorCoreError, checkRank } from '../errors.js';

/** Added to masked scores; large enough that exp() underflows to exactly 0 after the max shift. */
export const MASK_VALUE = -1e9;

export interface AttentionOptions {
  /** Query i (absolute position Tk − Tq + i) sees keys j ≤ that position. */
  causal?: boolean;
  /** Key padding mask [B, Tk]: 1 (or true) keeps a key, 0 hides it. */
  keyMask?: Tensor;
  /** With `causal`: also hide keys more than this many positions behind the query (HF sliding window). */
  slidingWindow?: number | null;
  /** Additive bias broadcastable to [B, H, Tq, Tk]. */
  bias?: Tensor;
  /** Score scale, default 1/√headDim. */
  scale?: number;
}

/** Repeat kv heads so query head h reads kv head ⌊h / (H/Hkv)⌋ (HF `repeat_kv`). [B, Hkv, T, D] → [B, H, T, D] */
export function repeatKv(x: Tensor, nRep: number): Tensor {
  if (nRep === 1) return x;
  const [b, hkv, t, d] = x.shape;
  return tf.tidy(() => tf.tile(x.reshape([b, hkv, 1, t, d]), [1, 1, nRep, 1, 1]).reshape([b, hkv * nRep, t, d]));
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

/** The causal + key-padding additive mask, [B or 1, 1, Tq, Tk]. */
export function attentionMask(
  tq: number,
  tk: number,
  { causal = false, keyMask, slidingWindow = null }: Pick<AttentionOptions, 'causal' | 'keyMask' | 'slidingWindow'>,
): Tensor | null {
  if (!causal && !keyMask) return null;
  if (keyMask) checkRank(keyMask.shape, 2, 'keyMask', 'scaledDotProductAttention');
  TensorCoreError.check(slidingWindow === null || (Number.isInteger(slidingWindow) && slidingWindow >= 0), 'ARGUMENT', `'slidingWindow' passed to 'attentionMask' must be a non-negative integer or null, got ${slidingWindow}`);
  // The causal part is uploaded from cached host data: one tensor, no kernels (it used to be
  // Range / LessEqual / Select on every call). A copy, since the cpu backend keeps the array it is given.
  const causalMask = causal ? tf.tensor4d(causalMaskData(tq, tk, slidingWindow).slice(), [1, 1, tq, tk], 'float32') : null;
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

/**
 * softmax(q kᵀ · scale + mask) v with grouped-query attention.
 * q: [B, H, Tq, D], k and v: [B, Hkv, Tk, D] (H a multiple of Hkv) → [B, H, Tq, D]
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  checkRank(q.shape, 4, 'q', 'scaledDotProductAttention');
  checkRank(k.shape, 4, 'k', 'scaledDotProductAttention');
  checkRank(v.shape, 4, 'v', 'scaledDotProductAttention');
  const [b, h, tq, d] = q.shape;
  const [, hkv, tk] = k.shape;
  TensorCoreError.check(h % hkv === 0, 'ARGUMENT', () => `query heads (${h}) must be a multiple of kv heads (${hkv}) in 'scaledDotProductAttention'`);
  TensorCoreError.check(k.shape[0] === b && v.shape[0] === b, 'ARGUMENT', `'q', 'k' and 'v' passed to 'scaledDotProductAttention' must share the batch size`);
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  return tf.tidy(() => {
    const kk = repeatKv(k, h / hkv);
    const vv = repeatKv(v, h / hkv);
    let scores = tf.mul(tf.matMul(q, kk, false, true), scale); // [B, H, Tq, Tk]
    const mask = attentionMask(tq, tk, opts);
    if (mask) scores = tf.add(scores, mask);
    if (opts.bias) scores = tf.add(scores, opts.bias);
    return tf.matMul(tf.softmax(scores, -1), vv); // [B, H, Tq, D]
  });
}
