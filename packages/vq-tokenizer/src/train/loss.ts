import { Generator, exponentialDecay, tf, type Schedule, type Tensor } from '@healthgpt/tensor-core';
import type { VQTokenizer } from '../model.js';
import type { VectorQuantize } from '../quantize.js';
import { VQTokenizerError } from '../errors.js';

export interface VQLossOptions {
  /** Reconstruction loss: mean absolute (`l1`, taming's pixel loss) or mean squared (`l2`) error. Default l1. */
  reconLoss?: 'l1' | 'l2';
  /** Gumbel-softmax temperature, annealed exponentially from `start` to `end` over `steps` steps. Default 1 → 1/16 over `steps`. */
  temperature?: { start?: number; end?: number; steps?: number };
  /** Straight-through hard one-hot (taming) instead of the soft relaxation (default true; Gumbel quantizer only). */
  hard?: boolean;
  /** Weight of the codebook-diversity term (Gumbel quantizer; default 0 = taming's loss only). */
  diversity?: number;
  /** Seeds the Gumbel noise stream (default 0). */
  seed?: number;
  /** Length of the run in steps (the default temperature annealing spans it). */
  steps: number;
  /**
   * Straight-through VQ only: before the steps `0, every, 2·every, …` below `until` (default: the
   * whole run), move the codes the batch leaves unused onto its worst-quantized latents
   * (`VectorQuantize.restartDeadCodes`); step 0 thus initialises the codebook from data.
   */
  restartDeadCodes?: { every: number; until?: number };
}

/** A batch's loss with its terms (scalars, owned by the caller). */
export interface VQLossOutput {
  loss: Tensor;
  recon: Tensor;
  quant: Tensor;
}

/**
 * The training loss of the image tokenizer, for a training loop to differentiate: reconstruction
 * (L1/L2) + the quantizer's term (GumbelVQ's `kl_weight · KL(q ‖ uniform)` with an exponentially
 * annealed Gumbel-softmax temperature, or VQ's codebook + commitment loss). The Gumbel noise comes
 * from `generator`, one seed per call: save and restore its state to resume a run exactly.
 */
export class VQLoss {
  readonly generator: Generator;
  readonly reconLoss: 'l1' | 'l2';
  readonly hard: boolean;
  readonly diversity: number;
  private readonly temperatureSchedule: Schedule;
  private readonly restart: { every: number; until: number } | null;

  constructor(
    readonly model: VQTokenizer,
    { reconLoss = 'l1', temperature = {}, hard = true, diversity = 0, seed = 0, steps, restartDeadCodes }: VQLossOptions,
  ) {
    VQTokenizerError.check(Number.isInteger(steps) && steps > 0, 'ARGUMENT', `'steps' passed to 'VQLoss' must be a positive integer, got ${steps}`);
    VQTokenizerError.check(reconLoss === 'l1' || reconLoss === 'l2', 'ARGUMENT', `'reconLoss' passed to 'VQLoss' must be 'l1' or 'l2', got '${reconLoss}'`);
    const t = { start: 1, end: 1 / 16, steps, ...temperature };
    VQTokenizerError.check(t.start > 0 && t.end > 0 && Number.isInteger(t.steps) && t.steps >= 0, 'ARGUMENT', () => `'temperature' passed to 'VQLoss' needs start, end > 0 and an integer steps ≥ 0, got ${JSON.stringify(t)}`);
    if (restartDeadCodes) {
      const { every, until = steps } = restartDeadCodes;
      VQTokenizerError.check(model.config.quantizer === 'vq', 'ARGUMENT', `'restartDeadCodes' passed to 'VQLoss' needs the straight-through VQ quantizer, the model has '${model.config.quantizer}'`);
      VQTokenizerError.check(Number.isInteger(every) && every > 0 && Number.isInteger(until) && until >= 0, 'ARGUMENT', () => `'restartDeadCodes' passed to 'VQLoss' needs an integer every > 0 and until ≥ 0, got ${JSON.stringify(restartDeadCodes)}`);
      this.restart = { every, until };
    } else this.restart = null;
    this.reconLoss = reconLoss;
    this.hard = hard;
    this.diversity = diversity;
    this.generator = new Generator(seed);
    this.temperatureSchedule = exponentialDecay({ from: t.start, to: t.end, steps: t.steps });
  }

  /** The Gumbel-softmax temperature at optimizer step `step` (0-based). */
  temperatureAt(step: number): number {
    return this.temperatureSchedule(step);
  }

  /** The loss of images [B, C, H, W] in [−1, 1] at step `step` (the model should be in training mode). */
  compute(images: Tensor, step: number): VQLossOutput {
    const seed = this.generator.nextSeed();
    if (this.restart && step % this.restart.every === 0 && step < this.restart.until) {
      const latent = this.model.encodeLatent(images);
      (this.model.child('quantize') as VectorQuantize).restartDeadCodes(latent);
      latent.dispose();
    }
    return tf.tidy(() => {
      const out = this.model.trainForward(images, { temperature: this.temperatureAt(step), hard: this.hard, seed, diversity: this.diversity });
      const diff = tf.sub(out.recon, images);
      const recon = this.reconLoss === 'l1' ? tf.mean(tf.abs(diff)) : tf.mean(tf.square(diff));
      return { loss: tf.add(recon, out.loss), recon, quant: out.loss };
    });
  }
}
