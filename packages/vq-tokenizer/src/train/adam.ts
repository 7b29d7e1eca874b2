import { tf, type Tensor, type Variable } from '@healthgpt/tensor-core';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Adam (PyTorch semantics, bias-corrected) whose moments are keyed by parameter name, so its state
 * saves to and loads from a checkpoint by name (`exp_avg.<name>`, `exp_avg_sq.<name>`).
 */
export class NamedAdam {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Steps taken (t in the bias correction). */
  t = 0;
  private readonly m = new Map<string, Tensor>();
  private readonly v = new Map<string, Tensor>();

  constructor({ beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }: Omit<AdamOptions, 'lr'> = {}) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
  }

  /** p ← p − lr · m̂ / (√v̂ + eps) for every named gradient; the gradients are not disposed. */
  apply(params: Map<string, Variable>, grads: Map<string, Tensor>, lr: number): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps, t } = this;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) continue;
      const [m, v] = tf.tidy(() => {
        const m0 = this.m.get(name) ?? tf.zerosLike(g);
        const v0 = this.v.get(name) ?? tf.zerosLike(g);
        const m1 = tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v0, b2), tf.mul(tf.mul(g, g), 1 - b2));
        const update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps));
        p.assign(tf.sub(p, tf.mul(update, lr)));
        return [tf.keep(m1), tf.keep(v1)]; // kept: apply may run inside the caller's tidy
      });
      this.m.get(name)?.dispose();
      this.v.get(name)?.dispose();
      this.m.set(name, m);
      this.v.set(name, v);
    }
  }

  /** The moments by name, for a checkpoint (the tensors stay owned by the optimizer). */
  stateTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [k, t] of this.m) out.set(`exp_avg.${k}`, t);
    for (const [k, t] of this.v) out.set(`exp_avg_sq.${k}`, t);
    return out;
  }

  /** Restore moments saved by `stateTensors` (the optimizer clones what it keeps). */
  loadState(tensors: Map<string, Tensor>, t: number): void {
    this.dispose();
    this.t = t;
    for (const [k, x] of tensors) {
      if (k.startsWith('exp_avg_sq.')) this.v.set(k.slice('exp_avg_sq.'.length), tf.keep(x.clone()));
      else if (k.startsWith('exp_avg.')) this.m.set(k.slice('exp_avg.'.length), tf.keep(x.clone()));
    }
  }

  dispose(): void {
    this.m.forEach((x) => x.dispose());
    this.v.forEach((x) => x.dispose());
    this.m.clear();
    this.v.clear();
  }
}
