import { tf, type Tensor, type Variable } from '../tf.js';
import { Module } from '../module.js';
import { TensorCoreError } from '../errors.js';
import { Linear, linear } from './linear.js';
import { int8Rows, int8RowsProduct, int8RowsUsable, int8NativeLive } from '../kernels/int8_rows.js';

/** Per-output-channel symmetric int8 weights: W[o, i] ≈ q[o, i] · scales[o]. */
export interface Int8Weights {
  /** [out · in] row-major, each in [−127, 127]. */
  q: Int8Array;
  /** [out]: max |W[o, :]| / 127 (0 for an all-zero row). */
  scales: Float32Array;
  outFeatures: number;
  inFeatures: number;
}

/** Round half to even (as PyTorch and NumPy round). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : r;
}

/**
 * Quantize W [out, in] per output channel: s_o = max_i |W[o, i]| / 127, q = round(W / s_o)
 * (half to even), so |W − q·s| ≤ s_o / 2 elementwise.
 */
export function quantizeInt8(weight: Tensor): Int8Weights {
  TensorCoreError.check(weight.rank === 2 && weight.dtype === 'float32', 'ARGUMENT', () => `'weight' passed to 'quantizeInt8' must be float32 [out, in], got ${weight.dtype} [${weight.shape.join(', ')}]`);
  const [out, inF] = weight.shape;
  const w = weight.dataSync() as Float32Array;
  const q = new Int8Array(out * inF);
  const scales = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let max = 0;
    for (let i = 0; i < inF; i++) max = Math.max(max, Math.abs(w[o * inF + i]));
    TensorCoreError.check(Number.isFinite(max), 'ARGUMENT', () => `'weight' passed to 'quantizeInt8' has a non-finite value in row ${o}`);
    const s = Math.fround(max / 127);
    scales[o] = s;
    if (s === 0) continue;
    for (let i = 0; i < inF; i++) q[o * inF + i] = Math.max(-127, Math.min(127, roundHalfEven(w[o * inF + i] / s)));
  }
  return { q, scales, outFeatures: out, inFeatures: inF };
}

/** q · s as float32 [out, in] (a fresh tensor the caller owns). */
export function dequantizeInt8({ q, scales, outFeatures: out, inFeatures: inF }: Int8Weights): Tensor {
  const w = new Float32Array(out * inF);
  for (let o = 0; o < out; o++) {
    const s = scales[o];
    for (let i = 0, k = o * inF; i < inF; i++, k++) w[k] = q[k] * s; // exact product, rounded once to float32
  }
  return tf.tensor2d(w, [out, inF]);
}

/** Row counts up to this run as int8 dot products in JS (decoding); larger ones dequantize and use the backend's matmul. */
export const INT8_DIRECT_ROWS = 8;

/** y = x (q·s)ᵀ for x2 [N, in] with few rows: int8 × float32 dot products on a host copy of x (see int8_rows.ts). */
function directProduct(x2: Tensor, w: Int8Weights): Tensor {
  const n = x2.shape[0];
  const y = new Float32Array(n * w.outFeatures);
  int8RowsProduct(x2.dataSync() as Float32Array, 0, w, y, 0, n);
  return tf.tensor2d(y, [n, w.outFeatures]);
}

/**
 * y = x Wᵀ + b with W held as int8 weights: x [..., in] → [..., out]. Gradients flow to x (and to
 * `bias`), never to the frozen int8 weights, so adapters wrapping an int8 layer still train. With
 * few rows and no tape recording (decoding), one kernel on the tensor's own memory.
 */
export function int8Linear(x: Tensor, w: Int8Weights, bias?: Tensor | null): Tensor {
  const { outFeatures: out, inFeatures: inF } = w;
  TensorCoreError.check(x.dtype === 'float32' && x.shape[x.rank - 1] === inF, 'ARGUMENT', () => `'x' passed to 'int8Linear' must be float32 [..., ${inF}], got ${x.dtype} [${x.shape.join(', ')}]`);
  return tf.tidy(() => {
    const x2 = x.reshape([-1, inF]); // [N, in]
    if (x2.shape[0] <= INT8_DIRECT_ROWS && int8RowsUsable(x2)) {
      const y = int8Rows(x2, w); // [N, out]
      return (bias ? tf.add(y, bias) : y).reshape([...x.shape.slice(0, -1), out]);
    }
    const product = tf.customGrad(((xs: Tensor, save: (ts: Tensor[]) => void) => {
      save([]);
      const value =
        xs.shape[0] <= INT8_DIRECT_ROWS
          ? directProduct(xs, w)
          : tf.tidy(() => {
              const wf = dequantizeInt8(w); // [out, in], only for this call
              return tf.matMul(xs, wf, false, true); // [N, out]
            });
      return { value, gradFunc: (dy: Tensor) => tf.tidy(() => tf.matMul(dy, dequantizeInt8(w))) }; // [N, in]
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    let y = product(x2) as Tensor; // [N, out]
    if (bias) y = tf.add(y, bias);
    return y.reshape([...x.shape.slice(0, -1), out]);
  });
}

/** The buffer of an Int8Linear's float32 weight on paths without the native int8 kernel. */
const DEQUANTIZED = 'dequantized_weight';

/**
 * A Linear layer whose weight is stored as per-output-channel int8 with float32 scales (weight-only
 * quantization for inference: ~4x less weight memory). The bias, if any, stays a float32
 * parameter named `bias`; the int8 weight is not a parameter (not trained, not in `stateDict`).
 * Adapters wrap it as they wrap a `Linear` (they call `forward`).
 *
 * Without the native addon (wasm only, `HEALTHGPT_NATIVE=0`, or `useNativeMatmul(false)`) there is
 * no fast int8 × float32 kernel: int8 dot products in JS run at a fraction of wasm's float32
 * matmul. There the layer dequantizes its weight once, on its first forward, into a float32
 * buffer it owns (4x the int8 bytes, like the Linear it replaced) and runs `linear` on it
 * (XNNPACK with the weight packed once). The values are q·s either way.
 */
export class Int8Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** q·s as float32 [out, in], made on the first forward without the native int8 kernel (a module buffer). */
  private dequantized: Tensor | null = null;

  constructor(
    readonly weights: Int8Weights,
    bias: Tensor | null = null,
  ) {
    super();
    const { q, scales, outFeatures: out, inFeatures: inF } = weights;
    TensorCoreError.check(out > 0 && inF > 0 && q.length === out * inF && scales.length === out, 'ARGUMENT', () => `Int8Linear: weights must hold ${out}×${inF} values and ${out} scales, got ${q.length} and ${scales.length}`);
    TensorCoreError.check(!bias || (bias.rank === 1 && bias.shape[0] === out), 'ARGUMENT', () => `Int8Linear: 'bias' must be [${out}], got [${bias!.shape.join(', ')}]`);
    this.inFeatures = inF;
    this.outFeatures = out;
    if (bias) this.registerParameter('bias', bias, { trainable: false });
  }

  /** Quantize a Linear (its weight is read, not changed; the bias is copied). */
  static fromLinear(linear: Linear): Int8Linear {
    const b = linear.bias;
    return new Int8Linear(quantizeInt8(linear.weight), b ? b.clone() : null);
  }

  /** There is no float weight to read or assign; `dequantize()` gives a float copy. */
  get weight(): Variable {
    throw new TensorCoreError('ARGUMENT', `Int8Linear [${this.outFeatures}, ${this.inFeatures}] holds int8 weights, not a float weight variable (use dequantize())`);
  }

  get bias(): Variable | null {
    return this.namedParameters().find(([n]) => n === 'bias')?.[1] ?? null;
  }

  /** The float32 weight q·s [out, in] (a new tensor the caller owns). */
  dequantize(): Tensor {
    return dequantizeInt8(this.weights);
  }

  /** Bytes of the int8 weights and scales (held outside TensorFlow.js's memory count). */
  get weightBytes(): number {
    return this.weights.q.byteLength + this.weights.scales.byteLength;
  }

  /** x: [..., in] → [..., out] */
  forward(x: Tensor): Tensor {
    if (int8NativeLive()) return int8Linear(x, this.weights, this.bias);
    if (!this.dequantized || this.dequantized.isDisposed) this.dequantized = this.registerBuffer(DEQUANTIZED, dequantizeInt8(this.weights));
    return linear(x, this.dequantized, this.bias);
  }
}

/**
 * Replace every `Linear` below `root` (subclasses included, and the base layer inside adapter
 * wrappers) whose dotted path passes `include` by an `Int8Linear`, disposing the float weights.
 * Returns the paths replaced.
 */
export function quantizeLinears(root: Module, { include = () => true }: { include?: (path: string) => boolean } = {}): string[] {
  const chosen = root.namedModules().filter(([p, m]) => p !== '' && m instanceof Linear && include(p)) as [string, Linear][];
  for (const [path, lin] of chosen) {
    const q = Int8Linear.fromLinear(lin);
    q.training = lin.training;
    root.setSubmodule(path, q);
    lin.dispose();
  }
  return chosen.map(([p]) => p);
}
