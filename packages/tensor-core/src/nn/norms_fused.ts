/**
 * LayerNorm and RMSNorm over the last axis with hand-written gradients (tf.customGrad). The
 * autodiff graphs of the plain formulas run ~30 small kernels per call forward and backward; these
 * run the same forward and a backward of ~10 kernels from the saved normalised input and 1/σ:
 *
 *   LayerNorm  x̂ = (x − μ)·r, r = rsqrt(var_biased + eps), y = x̂·w + b
 *              g = dy·w,  dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dw = Σ dy·x̂,  db = Σ dy
 *   RMSNorm    x̂ = x·r, r = rsqrt(mean(x²) + eps), y = x̂·w
 *              g = dy·w,  dx = r·(g − x̂·mean(g·x̂)),  dw = Σ dy·x̂
 *
 * (Σ over every axis but the last.) Only float32 input with weight and bias of shape [D] (or none)
 * take this path; norms.ts falls back to the plain formula for anything else.
 */
import { tf, type Tensor } from '../tf.js';
import { nativeRmsNorm, nativeRmsNormServes } from '../native/rms_norm.js';
import { simdRmsNorm, simdRmsNormServes } from '../kernels/rms_norm_simd.js';

type GradFn = Parameters<typeof tf.customGrad>[0];
type Save = (t: Tensor[]) => void;

/** Whether the fused path applies: non-empty float32 x and [D]-shaped float32 params (or none). */
export function fusable(x: Tensor, ...params: (Tensor | null)[]): boolean {
  const d = x.shape[x.rank - 1];
  return x.dtype === 'float32' && x.rank >= 1 && x.size > 0 && params.every((p) => p === null || (p.dtype === 'float32' && p.rank === 1 && p.shape[0] === d));
}

/** Σ over every axis but the last: [..., D] → [D] */
function sumRows(t: Tensor): Tensor {
  const d = t.shape[t.rank - 1];
  return tf.sum(t.reshape([-1, d]), 0);
}

/**
 * mean over the last axis, keepDims, as t [N, D] · (1/D)·ones [D, 1]: a matmul (the native BLAS or
 * XNNPACK) instead of the slower innermost-axis Mean kernel of tfjs-wasm.
 */
function rowMean(t: Tensor): Tensor {
  const d = t.shape[t.rank - 1];
  return tf.tidy(() => tf.matMul(t.reshape([-1, d]), tf.fill([d, 1], 1 / d)).reshape([...t.shape.slice(0, -1), 1]));
}

/** dx = r·(g − mean(g) − x̂·mean(g·x̂)) (centered) or r·(g − x̂·mean(g·x̂)); g = dy·w. */
function inputGrad(dy: Tensor, xhat: Tensor, r: Tensor, w: Tensor | null, centered: boolean): Tensor {
  const g = w ? tf.mul(dy, w) : dy;
  let inner = tf.sub(g, tf.mul(xhat, rowMean(tf.mul(g, xhat))));
  if (centered) inner = tf.sub(inner, rowMean(g));
  return tf.mul(inner, r);
}

function makeNorm(centered: boolean, hasWeight: boolean, hasBias: boolean, eps: number) {
  return tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as Save;
    const [x, ...rest] = args.slice(0, -1) as Tensor[];
    const w = hasWeight ? rest[0] : null;
    const b = hasBias ? rest[hasWeight ? 1 : 0] : null;
    const [xhat, r] = tf.tidy(() => {
      const xc = centered ? tf.sub(x, rowMean(x)) : x;
      const rr = tf.rsqrt(tf.add(rowMean(tf.mul(xc, xc)), eps)); // [..., 1]
      return [tf.mul(xc, rr), rr];
    });
    let value = w ? tf.mul(xhat, w) : xhat;
    if (b) value = tf.add(value, b);
    save([xhat, r, ...(w ? [w] : [])]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sr, sw] = saved;
        return tf.tidy(() => {
          const grads = [inputGrad(dy, sx, sr, sw ?? null, centered)];
          if (hasWeight) grads.push(sumRows(tf.mul(dy, sx)));
          if (hasBias) grads.push(sumRows(dy));
          return grads;
        });
      },
    };
  }) as unknown as GradFn);
}

const OPS = new Map<string, ReturnType<typeof makeNorm>>();

function op(centered: boolean, w: Tensor | null, b: Tensor | null, eps: number) {
  const key = `${centered},${w !== null},${b !== null},${eps}`;
  let f = OPS.get(key);
  if (!f) {
    f = makeNorm(centered, w !== null, b !== null, eps);
    if (OPS.size > 64) OPS.clear();
    OPS.set(key, f);
  }
  return f;
}

/** Fused LayerNorm over the last axis; x float32 [..., D], weight and bias [D] or null. */
export function fusedLayerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  return op(true, weight, bias, eps)(...([x, weight, bias].filter((t) => t !== null) as Tensor[])) as Tensor;
}

/**
 * Fused RMSNorm over the last axis; x float32 [..., D], weight [D] or null: native forward and
 * backward when the addon serves it, else WebAssembly SIMD ones on wasm (kernels/rms_norm_simd.ts).
 */
export function fusedRmsNorm(x: Tensor, weight: Tensor | null, eps: number): Tensor {
  if (nativeRmsNormServes(x, weight)) return nativeRmsNorm(x, weight, eps);
  if (simdRmsNormServes(x, weight)) return simdRmsNorm(x, weight, eps);
  return op(false, weight, null, eps)(...([x, weight].filter((t) => t !== null) as Tensor[])) as Tensor;
}
