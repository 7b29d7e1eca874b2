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

/** Whether the cached-transpose path pays on the active backend. */
export const useTransposedPath = (): boolean => tf.getBackend() === 'wasm';

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
 * tensor-core's `Linear` (same parameters, names and init) with the cached-transpose forward on
 * wasm. Adapters wrap it exactly as they wrap a plain Linear.
 */
export class DecoderLinear extends Linear {
  private readonly wtCache = new TransposedWeightCache();

  override forward(x: Tensor): Tensor {
    if (!useTransposedPath()) return super.forward(x);
    return linearCached(x, this.weight, this.bias, this.wtCache);
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
