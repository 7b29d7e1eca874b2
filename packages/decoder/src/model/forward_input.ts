import { tf, KVCache, type Tensor } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import type { DecoderConfig } from './config.js';
import { cacheLength, type PastKeyValues } from './types.js';

export interface ForwardInput {
  /** Token ids, int32 [B, T] (or nested arrays). Exactly one of `inputIds` / `inputsEmbeds`. */
  inputIds?: Tensor | number[][];
  /** Input embeddings [B, T, hidden] (e.g. with image features spliced in). */
  inputsEmbeds?: Tensor;
  /** [B, Tpast + T]: 1 for real tokens, 0 for padding (left padding for generation). */
  attentionMask?: Tensor | number[][];
  /** int32 [B, T]; default from the mask (HF generate) or `past … past + T − 1`. */
  positionIds?: Tensor;
  /**
   * The cache from an earlier call (not disposed by this call): per-layer tensors, or a preallocated
   * `KVCache` that this call writes its positions into (and returns as its cache).
   */
  pastKeyValues?: PastKeyValues | KVCache;
  /** Also return every hidden state (embeddings, each layer, the last after the final norm). */
  outputHiddenStates?: boolean;
  /** Compute logits for the last position only: logits [B, 1, V] (generation). */
  lastOnly?: boolean;
  /** Return the cache (default true). */
  useCache?: boolean;
  /**
   * Targets int32 [B, T] (−100 = ignored), usually the input ids with prompt and padding set to
   * −100. Adds `loss`: HF's shifted next-token cross-entropy (logits[:, :-1] vs labels[:, 1:]),
   * the mean over supervised targets (0 when there are none).
   */
  labels?: Tensor | number[][];
}

export interface ForwardOutput<Cache extends PastKeyValues | KVCache = PastKeyValues> {
  /** [B, T, V] (or [B, 1, V] with `lastOnly`). */
  logits: Tensor;
  /**
   * Per layer keys and values [B, kvHeads, Tpast + T, headDim] (keys after RoPE); [] with
   * `useCache: false`. Given a `KVCache`, that same cache (now holding these positions too).
   */
  pastKeyValues: Cache;
  /** With `outputHiddenStates`: numLayers + 1 tensors [B, T, hidden], HF's order. */
  hiddenStates?: Tensor[];
  /** With `labels`: the scalar mean next-token cross-entropy. */
  loss?: Tensor;
}

const shapeOf = (x: Tensor | number[][]) => (x instanceof tf.Tensor ? x.shape : [x.length, x[0]?.length ?? 0]);

/** Check a forward's arguments against the config; returns the batch size and new length. */
export function validateForward(input: ForwardInput, cfg: DecoderConfig): { b: number; t: number } {
  const op = 'DecoderLM.forward';
  DecoderError.check((input.inputIds === undefined) !== (input.inputsEmbeds === undefined), 'ARGUMENT', `${op}: pass exactly one of 'inputIds' and 'inputsEmbeds'`);
  let b: number, t: number;
  if (input.inputsEmbeds) {
    const s = input.inputsEmbeds.shape;
    DecoderError.check(s.length === 3 && s[2] === cfg.hiddenSize, 'ARGUMENT', () => `'inputsEmbeds' passed to '${op}' must be [B, T, ${cfg.hiddenSize}], got [${s.join(', ')}]`);
    [b, t] = s;
  } else {
    const s = shapeOf(input.inputIds!);
    DecoderError.check(s.length === 2, 'ARGUMENT', () => `'inputIds' passed to '${op}' must be rank 2 [B, T], got [${s.join(', ')}]`);
    [b, t] = s;
  }
  DecoderError.check(b > 0 && t > 0, 'ARGUMENT', () => `'${op}' needs at least one row and one position, got B=${b} T=${t}`);
  const past = input.pastKeyValues;
  if (past instanceof KVCache) {
    const got = [past.layers, past.batch, past.kvHeads, past.headDim];
    const want = [cfg.numLayers, b, cfg.numKvHeads, cfg.headDim];
    DecoderError.check(got.join() === want.join(), 'ARGUMENT', () => `'pastKeyValues' passed to '${op}' must be a KVCache of ${want[0]} layers, batch ${want[1]}, ${want[2]} kv heads of ${want[3]}, got ${got.join(', ')}`);
    past.checkAligned();
  } else if (past) {
    DecoderError.check(past.length === cfg.numLayers, 'ARGUMENT', () => `'pastKeyValues' passed to '${op}' must have ${cfg.numLayers} layers, got ${past.length}`);
    const want = [b, cfg.numKvHeads, cacheLength(past), cfg.headDim];
    for (const [i, l] of past.entries())
      for (const x of [l.keys, l.values])
        DecoderError.check(!x.isDisposed && x.shape.join() === want.join(), 'ARGUMENT', () => `'pastKeyValues[${i}]' passed to '${op}' must be live tensors [${want.join(', ')}], got [${x.shape.join(', ')}]${x.isDisposed ? ' (disposed)' : ''}`);
  }
  if (input.positionIds) {
    const s = input.positionIds.shape;
    DecoderError.check(s.length === 2 && s[0] === b && s[1] === t, 'ARGUMENT', () => `'positionIds' passed to '${op}' must be [${b}, ${t}], got [${s.join(', ')}]`);
  }
  return { b, t };
}

/**
 * Nested arrays or a tensor of ids → int32 tensor, checking every id is an integer in [0, vocab)
 * before anything is cast (a float id is refused, never truncated). A bad id is named by row and
 * position.
 */
export function toIdsTensor(ids: Tensor | number[][], vocab: number, op: string): Tensor {
  let flat: ArrayLike<number>;
  let w: number;
  if (ids instanceof tf.Tensor) {
    DecoderError.check(ids.rank === 2, 'ARGUMENT', () => `'ids' passed to '${op}' must be rank 2 [B, T], got [${ids.shape.join(', ')}]`);
    flat = ids.dataSync();
    w = ids.shape[1]!;
  } else {
    w = ids[0]?.length ?? 0;
    DecoderError.check(ids.every((r) => Array.isArray(r) && r.length === w), 'ARGUMENT', `'ids' passed to '${op}' must be a rectangular [B, T] array`);
    flat = ids.flat();
  }
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (!(Number.isInteger(v) && v >= 0 && v < vocab))
      throw new DecoderError('ARGUMENT', `'ids' passed to '${op}' must be integers in [0, ${vocab}), got ${v} at [${Math.floor(i / w)}, ${i % w}]`, { record: Math.floor(i / w) });
  }
  if (!(ids instanceof tf.Tensor)) return tf.tensor2d(flat as number[], [ids.length, w], 'int32');
  return ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
}

/** A mask as given (tensor or arrays) → a tensor [B, Tk], checking its shape. */
export function toMaskTensor(mask: Tensor | number[][], b: number, tk: number): Tensor {
  const s = shapeOf(mask);
  DecoderError.check(s.length === 2 && s[0] === b && s[1] === tk, 'ARGUMENT', () => `'attentionMask' passed to 'DecoderLM.forward' must be [${b}, ${tk}] (batch, past + new positions), got [${s.join(', ')}]`);
  return mask instanceof tf.Tensor ? mask : tf.tensor2d(mask.flat(), [b, tk], 'int32');
}
