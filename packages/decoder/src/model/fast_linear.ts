import * as core from '@healthgpt/tensor-core';
import { tf, Linear, type Tensor } from '@healthgpt/tensor-core';

/**
 * x Wᵀ with W [out, in] through a cached Wᵀ [in, out]. On the wasm backend of tfjs 4.22 a matMul
 * with a transpose flag falls into a naive loop (~10x slower than the XNNPACK path a plain matMul
 * takes), so the transposed copy is made once per weight value and reused until the weight changes
 * (a new `dataId` after `assign`). Gradients are exact for both x and W (custom gradient).
 * Stop-gap until tensor-core's wasm matMul handles the transposed case itself.
 */
export class TransposedWeightCache {
  private dataId: object | null = null;
  private wt: Tensor | null = null;

  /** Wᵀ for the weight's current value. */
  get(weight: tf.Variable): Tensor {
    const id = (weight as unknown as { dataId: object }).dataId;
    if (this.wt === null || this.dataId !== id || this.wt.isDisposed) {
      this.wt?.dispose();
      this.wt = tf.keep(tf.transpose(weight));
      this.dataId = id;
    }
    return this.wt;
  }

  release(): void {
    this.wt?.dispose();
    this.wt = null;
    this.dataId = null;
  }
}

/** True when tensor-core has replaced the wasm BatchMatMul kernel (which then handles transposes fast). */
function fastWasmMatMul(): boolean {
  const list = (core as unknown as { registeredKernels?: readonly string[] }).registeredKernels;
  return Array.isArray(list) && list.includes('BatchMatMul/wasm');
}

/**
 * Whether the cached-transpose path pays: on wasm with the stock tfjs BatchMatMul only. With
 * tensor-core's own wasm BatchMatMul registered the plain path is as fast and needs no extra copy.
 */
export const useTransposedPath = (): boolean => tf.getBackend() === 'wasm' && (mode === 'on' || (mode === 'auto' && !fastWasmMatMul()));

let mode: 'auto' | 'on' | 'off' = 'auto';

/**
 * Choose when DecoderLinear multiplies by a cached Wᵀ on wasm: `auto` (default: only with the stock
 * tfjs BatchMatMul), `on`, or `off`.
 */
export function setTransposedWeightCache(m: 'auto' | 'on' | 'off'): void {
  mode = m;
}

/** Whether a gradient tape is recording (then the custom-gradient wrapper is needed). */
const taping = (): boolean => tf.engine().state.gradientDepth > 0;

/**
 * y = x Wᵀ (+ b) for x [..., in] using `cache` for Wᵀ; under a gradient tape, gradients flow to
 * x, W and b. A rank-2 x is used as is (no reshapes).
 */
export function linearCached(x: Tensor, weight: tf.Variable, bias: Tensor | null, cache: TransposedWeightCache): Tensor {
  const [out, inF] = weight.shape;
  const wt = cache.get(weight);
  const viaTape = taping();
  return tf.tidy(() => {
    const x2 = x.rank === 2 ? x : x.reshape([-1, inF]); // [N, in]
    let y = viaTape ? (customLinear(wt)(x2, weight) as Tensor) : tf.matMul(x2, wt); // [N, out]
    if (bias) y = tf.add(y, bias);
    return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), out]);
  });
}

/** x2 Wᵀ computed with the cached `wt`, with the gradients of x2 [N, in] and W [out, in]. */
function customLinear(wt: Tensor) {
  return tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [x2, w, save] = args as [Tensor, Tensor, tf.GradSaveFunc];
    save([x2, w]);
    return {
      value: tf.matMul(x2, wt) as Tensor,
      gradFunc: (dy: Tensor, [xs, ws]: Tensor[]) => [tf.matMul(dy, ws), tf.matMul(dy, xs, true, false)],
    };
  });
}

/**
 * tensor-core's `Linear` (same parameters, names and init) with a leaner forward: no reshapes for
 * rank-2 inputs, and the cached-transpose product on stock wasm. Adapters wrap it exactly as they
 * wrap a plain Linear.
 */
export class DecoderLinear extends Linear {
  private readonly wtCache = new TransposedWeightCache();

  /** x: [..., in] → [..., out]; a rank-2 x (the decoder's residual stream) skips the reshapes. */
  override forward(x: Tensor): Tensor {
    if (useTransposedPath()) return linearCached(x, this.weight, this.bias, this.wtCache);
    if (x.rank !== 2) return super.forward(x);
    const y = tf.matMul(x, this.weight, false, true); // [N, out]
    const bias = this.bias;
    if (!bias) return y;
    const z = tf.add(y, bias);
    y.dispose();
    return z;
  }

  /** Drop the cached Wᵀ (it is rebuilt on the next wasm forward). */
  releaseCache(): void {
    this.wtCache.release();
  }

  override dispose(): void {
    this.wtCache.release();
    super.dispose();
  }
}
