import { Conv2d, Embedding, Module, tf, uniform, stopGradient, type Generator, type Tensor } from '@healthgpt/tensor-core';

/** What a quantizer returns in training: the (relaxed) code vectors, its loss term and the hard codes. */
export interface QuantizeTrainOutput {
  /** [B, embed_dim, h, w], differentiable. */
  zq: Tensor;
  /** Scalar: the KL prior (Gumbel) or codebook + commitment loss (VQ). */
  loss: Tensor;
  /** int32 [B, h, w]: the hard codes used. */
  indices: Tensor;
}

export interface QuantizeTrainOptions {
  /** Gumbel-softmax temperature τ. */
  temperature: number;
  /** Straight-through hard one-hot (taming's default) instead of the soft relaxation. */
  hard: boolean;
  /** Seed of this step's Gumbel noise. */
  seed: number;
  /**
   * Weight of a codebook-diversity term, log n − H(mean code distribution over the batch), which
   * spreads usage over the codebook (wav2vec 2.0's diversity loss); 0 (the default) = GumbelVQ's loss only.
   */
  diversity?: number;
}

/** The common face of both quantizers. h: [B, embed_dim, h, w] (quant_conv's output). */
export interface Quantizer extends Module {
  /** Scores per code, [B, n_embed, h, w]; the code is their argmax. */
  logits(h: Tensor): Tensor;
  /** int32 [B, h, w] → code vectors [B, embed_dim, h, w]. */
  lookup(indices: Tensor): Tensor;
  trainForward(h: Tensor, opts: QuantizeTrainOptions): QuantizeTrainOutput;
}

/** one_hot(indices) @ codebook without a gather, so the gradient needs no scatter kernel. [N] → [N, d] */
function oneHotLookup(flat: Tensor, codebook: Tensor): Tensor {
  return tf.matMul(tf.oneHot(flat, codebook.shape[0]), codebook);
}

/** [N, d] rows → NCHW [B, d, h, w] */
function toNchw(rows: Tensor, b: number, h: number, w: number): Tensor {
  return tf.transpose(rows.reshape([b, h, w, rows.shape[1] as number]), [0, 3, 1, 2]);
}

/**
 * taming's `GumbelQuantize`: `proj` (1x1 conv, z_channels → n_embed) gives logits, `embed` the
 * codebook [n_embed, embed_dim]. Training samples gumbel_softmax(logits, τ) (hard straight-through
 * by default) and adds kl_weight · KL(softmax(logits) ‖ uniform).
 */
export class GumbelQuantize extends Module implements Quantizer {
  constructor(
    readonly zChannels: number,
    readonly embedDim: number,
    readonly nEmbed: number,
    readonly klWeight: number,
    gen?: Generator,
    init = true,
  ) {
    super();
    this.registerModule('proj', new Conv2d(zChannels, nEmbed, 1, { gen, init }));
    this.registerModule('embed', new Embedding(nEmbed, embedDim, { gen, init }));
  }

  logits(h: Tensor): Tensor {
    return this.child<Conv2d>('proj').forward(h);
  }

  lookup(indices: Tensor): Tensor {
    const [b, h, w] = indices.shape;
    return tf.tidy(() => toNchw(this.child<Embedding>('embed').forward(indices.reshape([-1])), b, h, w));
  }

  trainForward(hIn: Tensor, { temperature, hard, seed, diversity = 0 }: QuantizeTrainOptions): QuantizeTrainOutput {
    return tf.tidy(() => {
      const logitsNchw = this.logits(hIn);
      const [b, n, h, w] = logitsNchw.shape;
      const logits = tf.transpose(logitsNchw, [0, 2, 3, 1]).reshape([b * h * w, n]); // [N, n]
      const u = tf.randomUniform(logits.shape, 1e-10, 1, 'float32', seed);
      const gumbel = tf.neg(tf.log(tf.neg(tf.log(u))));
      const soft = tf.softmax(tf.div(tf.add(logits, gumbel), temperature), -1); // [N, n]
      const indices = tf.argMax(soft, -1); // [N]
      const oneHot = hard ? tf.add(tf.oneHot(indices, n).toFloat(), tf.sub(soft, stopGradient(soft))) : soft;
      const zq = toNchw(tf.matMul(oneHot, this.child<Embedding>('embed').weight), b, h, w);
      const qy = tf.softmax(logits, -1);
      const kl = tf.mean(tf.sum(tf.mul(qy, tf.log(tf.add(tf.mul(qy, n), 1e-10))), -1));
      let loss = tf.mul(kl, this.klWeight);
      if (diversity > 0) {
        const avg = tf.mean(qy, 0); // [n]: code distribution over the batch
        const entropy = tf.neg(tf.sum(tf.mul(avg, tf.log(tf.add(avg, 1e-10)))));
        loss = tf.add(loss, tf.mul(tf.sub(Math.log(n), entropy), diversity));
      }
      return { zq, loss, indices: indices.reshape([b, h, w]) };
    });
  }
}

/**
 * taming's `VectorQuantizer` (VQ-VAE): nearest code by L2 distance, codebook `embedding`
 * [n_embed, embed_dim] ~ U(−1/n, 1/n); straight-through gradient, loss ‖sg[z]−e‖² + β‖z−sg[e]‖².
 */
export class VectorQuantize extends Module implements Quantizer {
  constructor(
    readonly embedDim: number,
    readonly nEmbed: number,
    readonly beta: number,
    gen?: Generator,
    init = true,
  ) {
    super();
    // taming's codebook init U(−1/n, 1/n), drawn once (not over a normal draw it would replace).
    const emb = new Embedding(nEmbed, embedDim, { init: false });
    if (init) {
      const w = uniform([nEmbed, embedDim], -1 / nEmbed, 1 / nEmbed, gen);
      emb.loadStateDict({ weight: w });
      w.dispose();
    }
    this.registerModule('embedding', emb);
  }

  /** −‖z − e‖² per code: [B, n_embed, h, w]. */
  logits(hIn: Tensor): Tensor {
    return tf.tidy(() => {
      const [b, d, h, w] = hIn.shape;
      const z = tf.transpose(hIn, [0, 2, 3, 1]).reshape([b * h * w, d]); // [N, d]
      const e = this.child<Embedding>('embedding').weight; // [n, d]
      const dist = tf.add(tf.sub(tf.sum(tf.mul(z, z), -1, true), tf.mul(tf.matMul(z, e, false, true), 2)), tf.sum(tf.mul(e, e), -1)); // [N, n]
      return tf.transpose(tf.neg(dist).reshape([b, h, w, this.nEmbed]), [0, 3, 1, 2]);
    });
  }

  lookup(indices: Tensor): Tensor {
    const [b, h, w] = indices.shape;
    return tf.tidy(() => toNchw(this.child<Embedding>('embedding').forward(indices.reshape([-1])), b, h, w));
  }

  /**
   * Dead-code restart: every code that no latent of `hIn` [B, embed_dim, h, w] chose is moved onto
   * a latent the codebook quantizes worst (distinct latents, largest squared error first, the
   * lower index on ties), so it is used from then on. Deterministic and stateless (a resumed run
   * repeats it exactly). Returns how many codes moved.
   */
  restartDeadCodes(hIn: Tensor): number {
    const [b, d, h, w] = hIn.shape;
    const rows = tf.tidy(() => stopGradient(tf.transpose(hIn, [0, 2, 3, 1]).reshape([b * h * w, d])));
    const z = rows.dataSync();
    rows.dispose();
    const emb = this.child<Embedding>('embedding').weight;
    const e = Float32Array.from(emb.dataSync());
    const n = this.nEmbed;
    const count = b * h * w;
    const used = new Uint8Array(n);
    const error = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      let best = Infinity;
      let arg = 0;
      for (let k = 0; k < n; k++) {
        let dist = 0;
        for (let j = 0; j < d; j++) dist += (z[i * d + j] - e[k * d + j]) ** 2;
        if (dist < best) [best, arg] = [dist, k];
      }
      used[arg] = 1;
      error[i] = best;
    }
    const dead = [...used.keys()].filter((k) => !used[k]);
    if (dead.length === 0) return 0;
    const worst = [...error.keys()].sort((a, c) => error[c] - error[a] || a - c);
    const moved = Math.min(dead.length, count);
    for (let r = 0; r < moved; r++) e.set(z.subarray(worst[r] * d, (worst[r] + 1) * d), dead[r] * d);
    const next = tf.tensor2d(e, [n, d]);
    emb.assign(next);
    next.dispose();
    return moved;
  }

  trainForward(hIn: Tensor): QuantizeTrainOutput {
    return tf.tidy(() => {
      const [b, , h, w] = hIn.shape;
      const indices = tf.argMax(stopGradient(this.logits(hIn)), 1); // [B, h, w]
      const zqRaw = toNchw(oneHotLookup(indices.reshape([-1]), this.child<Embedding>('embedding').weight), b, h, w); // [B, d, h, w]
      const codebook = tf.mean(tf.squaredDifference(zqRaw, stopGradient(hIn)));
      const commit = tf.mean(tf.squaredDifference(stopGradient(zqRaw), hIn));
      const zq = tf.add(hIn, stopGradient(tf.sub(zqRaw, hIn)));
      return { zq, loss: tf.add(codebook, tf.mul(commit, this.beta)), indices };
    });
  }
}
