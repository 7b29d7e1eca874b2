import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';
import { nativeKernels } from '../kernels/native.js';
import { scaledDotProductAttention } from './attention.js';
import { cachedAttention, cachedAttentionUsable } from '../kernels/cached_attention.js';

/**
 * One attention layer's KV cache: keys (after RoPE) and values, each [B, kvHeads, T, headDim].
 * The caller owns the tensors and disposes them.
 */
export interface LayerKV {
  keys: Tensor;
  values: Tensor;
}

/**
 * The cache after this step: `past` (may be undefined) followed along T by the step's `keys` and
 * `values` [B, kvHeads, Tnew, headDim]. Returns new tensors (or the step's own when there is no
 * past); `past` is left untouched.
 */
export function appendKV(past: LayerKV | undefined, keys: Tensor, values: Tensor): LayerKV {
  if (!past) return { keys, values };
  const [b, hkv, , hd] = past.keys.shape;
  TensorCoreError.check(keys.shape[0] === b && keys.shape[1] === hkv && keys.shape[3] === hd && values.shape.join() === keys.shape.join(), 'ARGUMENT', () =>
    `'keys' and 'values' passed to 'appendKV' must be [${b}, ${hkv}, T, ${hd}] like the cache, got [${keys.shape.join(', ')}] and [${values.shape.join(', ')}]`);
  return { keys: tf.concat([past.keys, keys], 2), values: tf.concat([past.values, values], 2) };
}

/** Steps with up to this many new positions attend straight from the cache buffers; longer ones (prefill) through `scaledDotProductAttention`. */
export const KV_DIRECT_POSITIONS = 8;

export interface KVCacheOptions {
  layers: number;
  batch: number;
  kvHeads: number;
  headDim: number;
  /** Positions to allocate up front (e.g. prompt + new tokens); the cache doubles when it runs out. Default 64. */
  capacity?: number;
}

/**
 * A preallocated KV cache for decoding: per layer, keys and values [B, kvHeads, capacity, headDim]
 * in host memory, written in place as positions arrive (no concatenation per step, no tensors to
 * dispose). A step of a few positions attends straight from these buffers (the native addon's
 * kernel, or plain loops without it); a longer one through `scaledDotProductAttention` on a copy of
 * the filled part. Use one layer's view from `layer(i)`.
 */
export class KVCache {
  readonly layers: number;
  readonly batch: number;
  readonly kvHeads: number;
  readonly headDim: number;
  // ES private fields: tf.tidy walks returned objects' enumerable properties, and must not walk
  // these buffers element by element.
  #cap: number;
  readonly #keys: Float32Array[];
  readonly #values: Float32Array[];
  readonly #lengths: number[];

  constructor({ layers, batch, kvHeads, headDim, capacity = 64 }: KVCacheOptions) {
    for (const [name, v] of Object.entries({ layers, batch, kvHeads, headDim, capacity }))
      TensorCoreError.check(Number.isInteger(v) && v > 0, 'ARGUMENT', `'${name}' passed to 'KVCache' must be a positive integer, got ${v}`);
    this.layers = layers;
    this.batch = batch;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.#cap = capacity;
    this.#keys = Array.from({ length: layers }, () => new Float32Array(batch * kvHeads * capacity * headDim));
    this.#values = Array.from({ length: layers }, () => new Float32Array(batch * kvHeads * capacity * headDim));
    this.#lengths = new Array<number>(layers).fill(0);
  }

  /** Positions held (by layer 0; every layer holds as many between forwards). */
  get length(): number {
    return this.#lengths[0];
  }

  /** Positions layer i holds. */
  layerLength(i: number): number {
    return this.#lengths[i];
  }

  /** Positions allocated per layer. */
  get capacity(): number {
    return this.#cap;
  }

  /** Bytes of the buffers (allocated, not only filled). */
  get bytes(): number {
    return 2 * this.layers * this.batch * this.kvHeads * this.#cap * this.headDim * 4;
  }

  /** Layer i's view: append its new keys and values, attend from the cache. */
  layer(i: number): KVCacheLayer {
    TensorCoreError.check(Number.isInteger(i) && i >= 0 && i < this.layers, 'ARGUMENT', `'KVCache.layer': layer ${i} is outside [0, ${this.layers})`);
    return new KVCacheLayer(this, i);
  }

  /** Write keys and values [B, kvHeads, T, headDim] at positions [length, length + T) of layer i. */
  append(i: number, keys: Tensor, values: Tensor): void {
    this.checkKV(keys, values, 'append');
    this.appendData(i, keys.dataSync() as Float32Array, values.dataSync() as Float32Array, keys.shape[2]!);
  }

  /** `append` from host data (the cached-attention kernel reads the tensors' memory in place). */
  appendData(i: number, keys: Float32Array, values: Float32Array, t: number): void {
    const { batch: b, kvHeads: hkv, headDim: hd } = this;
    const len = this.#lengths[i];
    if (len + t > this.#cap) this.grow(len + t);
    for (const [src, dst] of [[keys, this.#keys[i]], [values, this.#values[i]]] as const) {
      for (let r = 0; r < b * hkv; r++) dst.set(src.subarray(r * t * hd, (r + 1) * t * hd), (r * this.#cap + len) * hd);
    }
    this.#lengths[i] = len + t;
  }

  /**
   * `append(i, keys, values)` then `attend(i, q, opts)`; a short step with no tape recording
   * gradients runs as one kernel on the tensors' own memory (no read-backs, no upload).
   */
  appendAttend(i: number, q: Tensor, keys: Tensor, values: Tensor, { bias = null, scale }: { bias?: Tensor | null; scale?: number } = {}): Tensor {
    this.checkKV(keys, values, 'appendAttend');
    const [, h, tq, qd] = q.shape;
    const len = this.#lengths[i] + keys.shape[2]!;
    const biasB = bias ? directBias(bias, this.batch, tq, len) : 1;
    if (tq <= KV_DIRECT_POSITIONS && biasB !== 0 && q.rank === 4 && q.shape[0] === this.batch && qd === this.headDim && h % this.kvHeads === 0 && cachedAttentionUsable(q, keys, values, bias)) {
      return cachedAttention(this, i, q, keys, values, bias, scale ?? 1 / Math.sqrt(this.headDim), biasB);
    }
    this.append(i, keys, values);
    return this.attend(i, q, { bias, scale });
  }

  private checkKV(keys: Tensor, values: Tensor, op: string): void {
    const { batch: b, kvHeads: hkv, headDim: hd } = this;
    TensorCoreError.check(keys.rank === 4 && keys.shape[0] === b && keys.shape[1] === hkv && keys.shape[3] === hd && values.shape.join() === keys.shape.join(), 'ARGUMENT', () =>
      `'keys' and 'values' passed to 'KVCache.${op}' must be [${b}, ${hkv}, T, ${hd}], got [${keys.shape.join(', ')}] and [${values.shape.join(', ')}]`);
  }

  /** Layer i's filled keys and values as new tensors [B, kvHeads, length, headDim] (the caller disposes them). */
  tensors(i: number): LayerKV {
    const { batch: b, kvHeads: hkv, headDim: hd } = this;
    const len = this.#lengths[i];
    const take = (buf: Float32Array) => {
      const out = new Float32Array(b * hkv * len * hd);
      for (let r = 0; r < b * hkv; r++) out.set(buf.subarray(r * this.#cap * hd, (r * this.#cap + len) * hd), r * len * hd);
      return tf.tensor4d(out, [b, hkv, len, hd]);
    };
    return { keys: take(this.#keys[i]), values: take(this.#values[i]) };
  }

  /**
   * softmax(q·kᵀ·scale + bias)·v of q [B, H, Tq, headDim] against layer i's filled positions (which
   * already include the step's own): `scaledDotProductAttention`'s result. `bias`: additive
   * [1|Tq, len] or [1|B, 1|H, 1|Tq, len], as `attentionMask` builds it.
   */
  attend(i: number, q: Tensor, { bias = null, scale }: { bias?: Tensor | null; scale?: number } = {}): Tensor {
    const { batch: b, kvHeads: hkv, headDim: hd } = this;
    const [qb, h, tq, qd] = q.shape;
    const len = this.#lengths[i];
    TensorCoreError.check(q.rank === 4 && qb === b && qd === hd && h % hkv === 0, 'ARGUMENT', () => `'q' passed to 'KVCache.attend' must be [${b}, H, Tq, ${hd}] with H a multiple of ${hkv}, got [${q.shape.join(', ')}]`);
    const s = scale ?? 1 / Math.sqrt(hd);
    const biasB = bias ? directBias(bias, b, tq, len) : 1;
    if (tq > KV_DIRECT_POSITIONS || biasB === 0) {
      const { keys, values } = this.tensors(i);
      try {
        return scaledDotProductAttention(q, keys, values, { bias, scale: s });
      } finally {
        keys.dispose();
        values.dispose();
      }
    }
    const qv = q.dataSync() as Float32Array;
    const out = new Float32Array(qv.length);
    this.attendData(i, qv, bias ? (bias.dataSync() as Float32Array) : null, out, h, tq, biasB, s);
    return tf.tensor4d(out, [b, h, tq, hd]);
  }

  /** The direct path of `attend` on host data: q [B, H, Tq, hd] into out, bias [biasB, Tq, len] or null. */
  attendData(i: number, q: Float32Array, bias: Float32Array | null, out: Float32Array, h: number, tq: number, biasB: number, scale: number): void {
    const { batch: b, kvHeads: hkv, headDim: hd } = this;
    const len = this.#lengths[i];
    const addon = nativeKernels();
    if (addon?.decodeAttention) addon.decodeAttention(q, this.#keys[i], this.#values[i], bias, out, b, h, hkv, tq, len, this.#cap, hd, biasB, scale);
    else attendLoops(q, this.#keys[i], this.#values[i], bias, out, b, h, hkv, tq, len, this.#cap, hd, biasB, scale);
  }

  /** Positions held, checking every layer holds as many (a forward that stopped part-way leaves them apart). */
  checkAligned(): number {
    TensorCoreError.check(this.#lengths.every((l) => l === this.#lengths[0]), 'ARGUMENT', () => `KVCache: layers hold different lengths (${this.#lengths.join(', ')}); a forward stopped part-way`);
    return this.#lengths[0];
  }

  private grow(need: number): void {
    const cap = Math.max(need, 2 * this.#cap);
    const rows = this.batch * this.kvHeads;
    const hd = this.headDim;
    for (const bufs of [this.#keys, this.#values]) {
      bufs.forEach((old, l) => {
        const next = new Float32Array(rows * cap * hd);
        for (let r = 0; r < rows; r++) next.set(old.subarray(r * this.#cap * hd, (r * this.#cap + this.#lengths[l]) * hd), r * cap * hd);
        bufs[l] = next;
      });
    }
    this.#cap = cap;
  }
}

/** One layer of a `KVCache` (what a decoder layer receives as its past). */
export class KVCacheLayer {
  constructor(
    readonly cache: KVCache,
    readonly index: number,
  ) {}

  /** Positions this layer holds. */
  get length(): number {
    return this.cache.layerLength(this.index);
  }

  append(keys: Tensor, values: Tensor): void {
    this.cache.append(this.index, keys, values);
  }

  attend(q: Tensor, opts: { bias?: Tensor | null; scale?: number } = {}): Tensor {
    return this.cache.attend(this.index, q, opts);
  }

  /** `append(keys, values)` then `attend(q, opts)` (one kernel for a short step outside a tape). */
  appendAttend(q: Tensor, keys: Tensor, values: Tensor, opts: { bias?: Tensor | null; scale?: number } = {}): Tensor {
    return this.cache.appendAttend(this.index, q, keys, values, opts);
  }
}

/**
 * The batch extent (1 or B) of an additive bias the direct path reads as [biasB, Tq, len]: shapes
 * [1|Tq, len] and [1|B, 1, Tq, len]; 0 for any other (those go through scaledDotProductAttention).
 */
function directBias(m: Tensor, b: number, tq: number, len: number): number {
  const [mq, mk] = m.shape.slice(-2);
  if (mk !== len || mq !== tq) return 0;
  if (m.rank === 2) return 1;
  if (m.rank === 4 && m.shape[1] === 1 && (m.shape[0] === 1 || m.shape[0] === b)) return m.shape[0];
  return 0;
}

/** The direct path without the addon: the same arithmetic in plain loops (accumulating in float64). */
function attendLoops(q: Float32Array, k: Float32Array, v: Float32Array, bias: Float32Array | null, out: Float32Array, b: number, h: number, hkv: number, tq: number, len: number, cap: number, hd: number, biasB: number, scale: number): void {
  const rep = h / hkv;
  const p = new Float64Array(len);
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++) {
      const kv = (bi * hkv + Math.floor(hi / rep)) * cap * hd;
      for (let i = 0; i < tq; i++) {
        const qi = ((bi * h + hi) * tq + i) * hd;
        const br = bias ? ((biasB === 1 ? 0 : bi) * tq + i) * len : 0;
        let max = -Infinity;
        for (let j = 0; j < len; j++) {
          let acc = 0;
          for (let d = 0; d < hd; d++) acc += q[qi + d] * k[kv + j * hd + d];
          // Scores rounded to float32 as the kernels round them: a row whose keys are all masked (a
          // padding query) then softmaxes as they do.
          p[j] = Math.fround(Math.fround(acc * scale) + (bias ? bias[br + j] : 0));
          if (p[j] > max) max = p[j];
        }
        let sum = 0;
        for (let j = 0; j < len; j++) sum += p[j] = Math.exp(p[j] - max);
        for (let d = 0; d < hd; d++) {
          let acc = 0;
          for (let j = 0; j < len; j++) acc += p[j] * v[kv + j * hd + d];
          out[qi + d] = acc / sum;
        }
      }
    }
}
