import { tf, type Tensor, type Variable } from '../tf.js';

/** One parameter's share of an AdamW step, as the optimizer hands it to an update kernel. */
export interface AdamWEntry {
  readonly name: string;
  readonly param: Variable;
  readonly grad: Tensor;
  /**
   * The first and second moments before the step (zeros on a parameter's first step). A kernel
   * either writes the new moments into these tensors' own storage, or sets new tensors here and
   * disposes the old ones; either way they must survive an enclosing `tf.tidy` (`tf.keep`).
   */
  expAvg: Tensor;
  expAvgSq: Tensor;
  /** This parameter's step number t ≥ 1 (bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ). */
  readonly step: number;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/**
 * The per-step math of AdamW, separated from the bookkeeping (groups, state, steps) so that a
 * faster implementation can replace it: `update` receives every parameter that has a gradient in
 * this step, across all groups, in one call. It must leave no tensors behind besides the moments.
 *
 * Per element (PyTorch's `torch.optim.AdamW`):
 *   p ← p·(1 − lr·wd);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
 *   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps)
 */
export interface AdamWKernel {
  readonly name: string;
  update(entries: readonly AdamWEntry[]): void;
}

/** Scalars shared by every parameter with the same settings and step (one upload each, not one per parameter). */
interface Scalars {
  b1: Tensor;
  c1: Tensor; // 1 − β₁
  b2: Tensor;
  c2: Tensor; // 1 − β₂
  eps: Tensor; // eps·√(1 − β₂ᵗ)
  stepSize: Tensor; // lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
  decay: Tensor | null; // 1 − lr·wd, null when wd = 0
}

function scalars(e: AdamWEntry): Scalars {
  const bc1 = 1 - e.beta1 ** e.step;
  const sqrtBc2 = Math.sqrt(1 - e.beta2 ** e.step);
  return {
    b1: tf.scalar(e.beta1),
    c1: tf.scalar(1 - e.beta1),
    b2: tf.scalar(e.beta2),
    c2: tf.scalar(1 - e.beta2),
    eps: tf.scalar(e.eps * sqrtBc2),
    stepSize: tf.scalar((e.lr * sqrtBc2) / bc1),
    decay: e.weightDecay !== 0 ? tf.scalar(1 - e.lr * e.weightDecay) : null,
  };
}

/**
 * AdamW with TensorFlow.js ops, on any backend: 12 elementwise ops per parameter (13 with weight
 * decay). m/(√v/√c₂ + eps) is computed as √c₂·m/(√v + eps·√c₂), which folds the bias correction of
 * v into two scalars; the scalars are made once per group and step.
 */
export const tfjsAdamWKernel: AdamWKernel = {
  name: 'tfjs',
  update(entries) {
    tf.tidy(() => {
      const shared = new Map<string, Scalars>();
      for (const e of entries) {
        const key = `${e.step} ${e.lr} ${e.beta1} ${e.beta2} ${e.eps} ${e.weightDecay}`;
        let s = shared.get(key);
        if (!s) shared.set(key, (s = scalars(e)));
        const m = tf.add(tf.mul(e.expAvg, s.b1), tf.mul(e.grad, s.c1));
        const v = tf.add(tf.mul(e.expAvgSq, s.b2), tf.mul(tf.square(e.grad), s.c2));
        const p = s.decay ? tf.mul(e.param, s.decay) : e.param;
        e.param.assign(tf.sub(p, tf.mul(tf.div(m, tf.add(tf.sqrt(v), s.eps)), s.stepSize)));
        e.expAvg.dispose();
        e.expAvgSq.dispose();
        e.expAvg = tf.keep(m);
        e.expAvgSq = tf.keep(v);
      }
    });
  },
};

const registry = new Map<string, AdamWKernel>();

/**
 * Use `kernel` for AdamW steps while `backend` (a tfjs backend name: 'wasm', 'cpu', …) is active;
 * `null` removes it. Without a registered kernel the optimizer uses `tfjsAdamWKernel`.
 */
export function registerAdamWKernel(backend: string, kernel: AdamWKernel | null): void {
  if (kernel) registry.set(backend, kernel);
  else registry.delete(backend);
}

/** The kernel AdamW uses on `backend` (default: the active one). */
export function adamWKernelFor(backend: string = tf.getBackend()): AdamWKernel {
  return registry.get(backend) ?? tfjsAdamWKernel;
}
