import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';

type Grads = ReadonlyMap<string, Tensor>;

/** The value of a scalar computed in its own tidy, every tensor freed. */
function readScalar(fn: () => Tensor): number {
  const t = tf.tidy(fn);
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** The L2 norm of all gradients together, √(Σ‖g‖²), read back as a number (NaN or Infinity when a gradient is not finite). */
export function gradNorm(grads: Grads): number {
  if (grads.size === 0) return 0;
  return Math.sqrt(readScalar(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))));
}

/**
 * Clip gradients by their total L2 norm, as PyTorch's `clip_grad_norm_`: with the total norm
 * n = √(Σ‖g‖²), every gradient is multiplied by `maxNorm / (n + 1e-6)` when that is below 1.
 * Returns n (before clipping). The map's tensors are replaced by the clipped ones and the old ones
 * disposed. When n is not finite the gradients are left as they are (PyTorch would turn them into
 * NaN); check the returned norm or `allFinite`, or pass `errorIfNonfinite` to throw a
 * `TensorCoreError` with code `NON_FINITE`.
 */
export function clipGradNorm(grads: Map<string, Tensor>, maxNorm: number, { errorIfNonfinite = false } = {}): number {
  TensorCoreError.check(maxNorm > 0 && Number.isFinite(maxNorm), 'ARGUMENT', `'maxNorm' passed to 'clipGradNorm' must be a finite number > 0, got ${maxNorm}`);
  const norm = gradNorm(grads);
  if (!Number.isFinite(norm)) {
    TensorCoreError.check(!errorIfNonfinite, 'NON_FINITE', `'clipGradNorm': the total gradient norm is ${norm}`);
    return norm;
  }
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    const c = tf.scalar(coef);
    for (const [k, g] of grads) {
      grads.set(k, tf.mul(g, c));
      g.dispose();
    }
    c.dispose();
  }
  return norm;
}

/** Whether every element of every gradient is finite (no NaN, no ±Infinity): Σ g·0 is 0 exactly then, NaN otherwise. */
export function allFinite(grads: Grads | Iterable<Tensor>): boolean {
  const list = grads instanceof Map ? [...grads.values()] : [...(grads as Iterable<Tensor>)];
  if (list.length === 0) return true;
  return readScalar(() => tf.addN(list.map((g) => tf.sum(tf.mul(g, 0))))) === 0;
}
