import { tf, type Tensor } from '../tf.js';
import { TensorCoreError } from '../errors.js';

/**
 * Gradient accumulation over micro-batches: `add` each micro-batch's gradients (the accumulator
 * takes them over and disposes them), then `mean()` gives Σ wᵢ·gᵢ / Σ wᵢ as one map the caller
 * owns, and the accumulator starts over. A parameter missing from a micro-batch counts as a zero
 * gradient there, as in one large batch. Weights let micro-batches of different sizes (tokens,
 * examples) count in proportion; the default weight is 1.
 *
 *   const acc = new GradientAccumulator();
 *   for (const mb of microBatches) { const { loss, grads } = model.computeGradients(() => lossOf(mb)); loss.dispose(); acc.add(grads); }
 *   const grads = acc.mean(); clipGradNorm(grads, 1); opt.step(grads); tf.dispose([...grads.values()]);
 */
export class GradientAccumulator {
  private readonly sums = new Map<string, Tensor>();
  private weight = 0;
  private n = 0;

  /** Micro-batches added since the last `mean`/`sum`/`reset`. */
  get count(): number {
    return this.n;
  }

  /** Σ wᵢ of the micro-batches added. */
  get totalWeight(): number {
    return this.weight;
  }

  /** Add one micro-batch's gradients with weight `weight` (> 0); the tensors are disposed (or kept as the running sum). */
  add(grads: ReadonlyMap<string, Tensor>, weight = 1): void {
    TensorCoreError.check(weight > 0 && Number.isFinite(weight), 'ARGUMENT', `'weight' passed to 'GradientAccumulator.add' must be a finite number > 0, got ${weight}`);
    for (const [k, g] of grads) {
      const old = this.sums.get(k);
      TensorCoreError.check(!old || old.shape.join() === g.shape.join(), 'ARGUMENT', () => `the gradient of '${k}' has shape [${g.shape}], earlier micro-batches [${old!.shape}]`, { key: k });
    }
    for (const [k, g] of grads) {
      const old = this.sums.get(k);
      const scaled = weight === 1 ? null : tf.mul(g, weight);
      const next = old ? tf.add(old, scaled ?? g) : (scaled ?? g);
      this.sums.set(k, tf.keep(next));
      if (old) old.dispose();
      if (next !== g) g.dispose();
      if (scaled && scaled !== next) scaled.dispose();
    }
    this.weight += weight;
    this.n++;
  }

  /** Σ wᵢ·gᵢ (a map the caller owns); the accumulator starts over. */
  sum(): Map<string, Tensor> {
    const out = new Map(this.sums);
    this.sums.clear();
    this.weight = 0;
    this.n = 0;
    return out;
  }

  /** Σ wᵢ·gᵢ / Σ wᵢ (a map the caller owns); the accumulator starts over. */
  mean(): Map<string, Tensor> {
    TensorCoreError.check(this.n > 0, 'ARGUMENT', `'GradientAccumulator.mean' was called before any micro-batch was added`);
    const w = this.weight;
    const sums = this.sum();
    if (w === 1) return sums;
    const out = new Map<string, Tensor>();
    for (const [k, s] of sums) {
      out.set(k, tf.keep(tf.div(s, w)));
      s.dispose();
    }
    return out;
  }

  /** Drop what was added. */
  reset(): void {
    tf.dispose([...this.sums.values()]);
    this.sums.clear();
    this.weight = 0;
    this.n = 0;
  }

  dispose(): void {
    this.reset();
  }
}
