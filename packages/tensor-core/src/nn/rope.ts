import { tf, type Tensor } from '../tf.js';
import { TensorCoreError, checkRank } from '../errors.js';
import { inferenceFusable, rotaryInference } from '../kernels/fused_step.js';
import { nativeRotary, nativeRotaryServes } from '../native/rotary.js';

/** Positions below this are served from the table cache; others are computed per call. */
const MAX_CACHED = 1 << 16;

/**
 * Rotary position embedding (RoPE, HF's "default" rope type) for heads of `dim` channels:
 * inv_freq[i] = theta^(−2i/dim), angle = pos·inv_freq, tables `cat[cos(angle), cos(angle)]` and
 * the same for sin. The per-position rows are computed once (float32 frequencies and angles, as
 * PyTorch computes them) and cached as host data, so every forward builds its tables [B, 1, T, dim]
 * by copying rows, and all layers apply the same two tensors.
 */
export class RotaryEmbedding {
  private readonly invFreq: Float32Array;
  private cosRows = new Float32Array(0);
  private sinRows = new Float32Array(0);
  private cached = 0;

  constructor(
    readonly dim: number,
    readonly theta = 10000,
  ) {
    TensorCoreError.check(Number.isInteger(dim) && dim > 0 && dim % 2 === 0, 'ARGUMENT', `'dim' passed to 'RotaryEmbedding' must be a positive even integer, got ${dim}`);
    TensorCoreError.check(theta > 0, 'ARGUMENT', `'theta' passed to 'RotaryEmbedding' must be positive, got ${theta}`);
    this.invFreq = new Float32Array(dim / 2);
    for (let i = 0; i < dim / 2; i++) this.invFreq[i] = 1 / Math.pow(theta, (2 * i) / dim);
  }

  /**
   * cos and sin tables [B, 1, T, dim] for `positions`: an int tensor [B, T], or B·T numbers
   * (row-major [B, T]) with `b` and `t`. The caller owns (and disposes) both tensors.
   */
  tables(positions: Tensor | ArrayLike<number>, b?: number, t?: number): { cos: Tensor; sin: Tensor } {
    if (positions instanceof tf.Tensor) {
      checkRank(positions.shape, 2, 'positions', 'RotaryEmbedding.tables');
      [b, t] = positions.shape;
      positions = positions.dataSync();
    }
    TensorCoreError.check(b !== undefined && t !== undefined && positions.length === b * t, 'ARGUMENT', () =>
      `'positions' passed to 'RotaryEmbedding.tables' must hold b·t = ${b}·${t} values, got ${positions.length}`);
    const { dim } = this;
    const half = dim / 2;
    const cos = new Float32Array(b * t * dim);
    const sin = new Float32Array(b * t * dim);
    for (let p = 0; p < b * t; p++) {
      const pos = positions[p];
      const off = p * dim;
      if (Number.isInteger(pos) && pos >= 0 && pos < MAX_CACHED) {
        if (pos >= this.cached) this.grow(pos + 1);
        const row = pos * half;
        for (const [dst, src] of [[cos, this.cosRows], [sin, this.sinRows]]) {
          dst.set(src.subarray(row, row + half), off);
          dst.copyWithin(off + half, off, off + half);
        }
      } else {
        for (let i = 0; i < half; i++) {
          const ang = Math.fround(Math.fround(pos) * this.invFreq[i]);
          cos[off + i] = cos[off + half + i] = Math.cos(ang);
          sin[off + i] = sin[off + half + i] = Math.sin(ang);
        }
      }
    }
    return { cos: tf.tensor4d(cos, [b, 1, t, dim]), sin: tf.tensor4d(sin, [b, 1, t, dim]) };
  }

  /** Cache the rows of positions [0, n) (at least doubling, so decoding grows it rarely). */
  private grow(n: number): void {
    const size = Math.min(MAX_CACHED, Math.max(n, 2 * this.cached, 64));
    const half = this.dim / 2;
    const cos = new Float32Array(size * half);
    const sin = new Float32Array(size * half);
    cos.set(this.cosRows);
    sin.set(this.sinRows);
    for (let pos = this.cached; pos < size; pos++) {
      for (let i = 0; i < half; i++) {
        const ang = Math.fround(pos * this.invFreq[i]);
        cos[pos * half + i] = Math.cos(ang);
        sin[pos * half + i] = Math.sin(ang);
      }
    }
    this.cosRows = cos;
    this.sinRows = sin;
    this.cached = size;
  }
}

/** rotate_half(x) = cat[−x[d/2:], x[:d/2]] over the last axis. */
function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, [d / 2, d / 2], -1);
    return tf.concat([tf.neg(x2), x1], -1);
  });
}

/**
 * Apply RoPE: x·cos + rotate_half(x)·sin. x: [B, H, T, D]; cos and sin: [B, 1, T, D] (as
 * `RotaryEmbedding.tables` makes them), broadcast over the heads. One kernel when no gradient is
 * recorded (inference).
 */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  checkRank(x.shape, 4, 'x', 'applyRotary');
  checkRank(cos.shape, 4, 'cos', 'applyRotary');
  TensorCoreError.check(cos.shape[3] === x.shape[3] && cos.shape[2] === x.shape[2] && sin.shape.join() === cos.shape.join(), 'ARGUMENT', () =>
    `'cos' and 'sin' passed to 'applyRotary' must be [B, 1, ${x.shape[2]}, ${x.shape[3]}], got [${cos.shape.join(', ')}] and [${sin.shape.join(', ')}]`);
  const [cb] = cos.shape;
  if ((cb === 1 || cb === x.shape[0]) && cos.shape[1] === 1 && inferenceFusable('HealthgptRotary', x, cos, sin)) return rotaryInference(x, cos, sin);
  if (nativeRotaryServes(x, cos, sin)) return nativeRotary(x, cos, sin);
  if ((cb === 1 || cb === x.shape[0]) && cos.shape[1] === 1 && x.shape[3]! % 2 === 0 && fusedRotaryServes(x, cos, sin)) return fusedRotary(x, cos, sin);
  return tf.tidy(() => tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin)));
}

/** Whether the fused JS kernels (HealthgptRotary forward, HealthgptRotaryGrad backward) serve float32 x and tables on the active backend. */
function fusedRotaryServes(x: Tensor, cos: Tensor, sin: Tensor): boolean {
  const backend = tf.getBackend();
  return [x, cos, sin].every((t) => t.dtype === 'float32' && t.size > 0) && tf.getKernel('HealthgptRotary', backend) !== undefined && tf.getKernel('HealthgptRotaryGrad', backend) !== undefined;
}

type GradFn = Parameters<typeof tf.customGrad>[0];

/**
 * RoPE under a gradient tape in two kernels (wasm and cpu without the native addon): the fused
 * forward and kernels/rotary_grad.ts' backward, instead of two slices, a negation, a concat, two
 * products, a sum and their gradients. The same bits as the unfused formula; the tables are
 * constants (zero gradients), as on the native path.
 */
const fusedRotary = tf.customGrad(((x: Tensor, cos: Tensor, sin: Tensor, save: (t: Tensor[]) => void) => {
  save([cos, sin]);
  return {
    value: tf.engine().runKernel('HealthgptRotary', { x, cos, sin }) as Tensor,
    gradFunc: (dy: Tensor, [c, s]: Tensor[]) => [tf.engine().runKernel('HealthgptRotaryGrad', { dy, cos: c, sin: s }) as Tensor, tf.zerosLike(c), tf.zerosLike(s)],
  };
}) as unknown as GradFn) as unknown as (x: Tensor, cos: Tensor, sin: Tensor) => Tensor;
