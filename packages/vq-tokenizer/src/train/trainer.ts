import { join } from 'node:path';
import { Generator, tf, type Tensor, type Variable } from '@healthgpt/tensor-core';
import { VQTokenizer } from '../model.js';
import { VQTokenizerError } from '../errors.js';
import { NamedAdam } from './adam.js';
import { annealExp, warmupCosine } from './schedule.js';
import { imagesTensor, type ImageSource } from './data.js';
import { readCheckpointState, writeCheckpoint, type TrainerState } from './checkpoint.js';
import type { ProgressInfo } from './progress.js';

export interface TrainOptions {
  /** Total optimisation steps of the run. */
  steps: number;
  batchSize?: number;
  /** Peak learning rate (linear warm-up, then cosine decay to 10 %). */
  lr?: number;
  warmupSteps?: number;
  /** Reconstruction loss: mean absolute (`l1`, taming's pixel loss) or mean squared (`l2`) error. */
  reconLoss?: 'l1' | 'l2';
  /** Gumbel-softmax temperature, annealed exponentially from `start` to `end` over `steps` steps (default: the whole run). */
  temperature?: { start?: number; end?: number; steps?: number };
  /** Straight-through hard one-hot (taming) instead of the soft relaxation (Gumbel quantizer only). */
  hard?: boolean;
  /** Seeds batch sampling and the Gumbel noise. */
  seed?: number;
  /** Write `checkpoint-<step>` folders here every `checkpointEvery` steps and at the end. */
  checkpointDir?: string;
  checkpointEvery?: number;
  /** Called after every step (use `progressBar()` for a bar on stderr). */
  onProgress?: (p: ProgressInfo) => void;
  /** Clip the global gradient norm (0 = off). */
  clipNorm?: number;
  /** Weight of the codebook-diversity term (Gumbel quantizer; 0 = taming's loss only). */
  diversity?: number;
}

type Resolved = Required<Omit<TrainOptions, 'checkpointDir' | 'onProgress' | 'temperature'>> & {
  temperature: { start: number; end: number; steps: number };
  checkpointDir?: string;
  onProgress?: (p: ProgressInfo) => void;
};

function resolve(o: TrainOptions): Resolved {
  VQTokenizerError.check(Number.isInteger(o.steps) && o.steps > 0, 'ARGUMENT', `'steps' passed to 'VQTrainer' must be a positive integer, got ${o.steps}`);
  const r: Resolved = {
    batchSize: 8,
    lr: 1e-3,
    warmupSteps: Math.min(100, Math.floor(o.steps / 10)),
    reconLoss: 'l1',
    hard: true,
    seed: 0,
    checkpointEvery: 0,
    clipNorm: 1,
    diversity: 0,
    ...o,
    temperature: { start: 1, end: 1 / 16, steps: o.steps, ...o.temperature },
  };
  VQTokenizerError.check(Number.isInteger(r.batchSize) && r.batchSize > 0, 'ARGUMENT', `'batchSize' passed to 'VQTrainer' must be a positive integer, got ${r.batchSize}`);
  VQTokenizerError.check(r.lr > 0, 'ARGUMENT', `'lr' passed to 'VQTrainer' must be positive, got ${r.lr}`);
  VQTokenizerError.check(r.reconLoss === 'l1' || r.reconLoss === 'l2', 'ARGUMENT', `'reconLoss' passed to 'VQTrainer' must be 'l1' or 'l2', got '${r.reconLoss}'`);
  VQTokenizerError.check(r.temperature.start > 0 && r.temperature.end > 0, 'ARGUMENT', `'temperature' passed to 'VQTrainer' must be positive`);
  return r;
}

/** Loss terms of one step (plain numbers). */
export interface StepStats {
  step: number;
  loss: number;
  recon: number;
  quant: number;
}

/**
 * Trains a tokenizer from scratch: reconstruction (L1/L2) + the quantizer's term (GumbelVQ's KL
 * prior with an annealed temperature, or VQ's codebook and commitment loss), Adam with warm-up and
 * cosine decay, atomic checkpoints that resume exactly (weights, moments, step, sampler state).
 */
export class VQTrainer {
  readonly options: Resolved;
  step = 0;
  readonly history: StepStats[] = [];
  private readonly images: Tensor;
  private readonly gen: Generator;
  private readonly adam = new NamedAdam({ beta1: 0.9, beta2: 0.99 });

  constructor(
    readonly model: VQTokenizer,
    images: ImageSource,
    options: TrainOptions,
  ) {
    this.options = resolve(options);
    const dd = model.config.ddconfig;
    this.images = imagesTensor(images, { size: dd.resolution, channels: dd.in_channels });
    this.gen = new Generator(this.options.seed);
  }

  /** Resume from a folder written by a trainer (weights, optimizer moments, step, sampler state). */
  static async resume(dir: string, images: ImageSource, options: TrainOptions): Promise<VQTrainer> {
    const model = await VQTokenizer.fromPretrained(dir);
    const { state, optimizer } = await readCheckpointState(dir);
    const trainer = new VQTrainer(model, images, options);
    trainer.adam.loadState(optimizer, state.adamStep);
    optimizer.forEach((t) => t.dispose());
    trainer.step = state.step;
    trainer.gen.setState(state.rng);
    trainer.history.push(...state.history);
    return trainer;
  }

  temperatureAt(step: number): number {
    return annealExp(step, this.options.temperature);
  }

  lrAt(step: number): number {
    const o = this.options;
    return warmupCosine(step, { lr: o.lr, warmup: o.warmupSteps, total: o.steps });
  }

  private batch(): Tensor {
    const n = this.images.shape[0];
    const idx = Array.from({ length: this.options.batchSize }, () => this.gen.int(n));
    return tf.tidy(() => tf.gather(this.images, tf.tensor1d(idx, 'int32')));
  }

  /** One optimisation step; returns its loss terms. */
  trainStep(): StepStats {
    const o = this.options;
    const t0 = performance.now();
    const temperature = this.temperatureAt(this.step);
    const lr = this.lrAt(this.step);
    const seed = this.gen.nextSeed();
    const x = this.batch();
    this.model.train();
    const params = new Map<string, Variable>(this.model.trainableParameters());
    let recon = NaN;
    let quant = NaN;
    const loss = tf.tidy(() => {
      const { loss: total, grads } = this.model.computeGradients(() => {
        const out = this.model.trainForward(x, { temperature, hard: o.hard, seed, diversity: o.diversity });
        const diff = tf.sub(out.recon, x);
        const rec = o.reconLoss === 'l1' ? tf.mean(tf.abs(diff)) : tf.mean(tf.square(diff));
        recon = rec.dataSync()[0];
        quant = out.loss.dataSync()[0];
        return tf.add(rec, out.loss);
      });
      if (o.clipNorm > 0) clipByGlobalNorm(grads, o.clipNorm);
      this.adam.apply(params, grads, lr);
      return total.dataSync()[0];
    });
    x.dispose();
    this.model.eval();
    this.step++;
    const stats = { step: this.step, loss, recon, quant };
    this.history.push(stats);
    o.onProgress?.({ ...stats, steps: o.steps, temperature, lr, ms: performance.now() - t0 });
    return stats;
  }

  /** Train until `options.steps`, writing checkpoints as configured; returns the history. */
  async run(): Promise<StepStats[]> {
    const o = this.options;
    while (this.step < o.steps) {
      this.trainStep();
      const due = o.checkpointEvery > 0 && this.step % o.checkpointEvery === 0;
      if (o.checkpointDir && (due || this.step === o.steps)) await this.saveCheckpoint(join(o.checkpointDir, `checkpoint-${this.step}`));
    }
    return this.history;
  }

  /** Write a resumable checkpoint folder (atomically). */
  async saveCheckpoint(dir: string): Promise<void> {
    const { onProgress: _p, checkpointDir: _c, ...options } = this.options;
    const state: TrainerState = { step: this.step, adamStep: this.adam.t, rng: this.gen.getState(), options, history: this.history };
    await writeCheckpoint(dir, this.model, this.adam.stateTensors(), state);
  }

  /** Free the training images and optimizer state (not the model). */
  dispose(): void {
    this.images.dispose();
    this.adam.dispose();
  }
}

/** Scale gradients in place (replacing the map's tensors) so their global L2 norm is at most `maxNorm`. */
function clipByGlobalNorm(grads: Map<string, Tensor>, maxNorm: number): void {
  const norm = Math.sqrt(tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  if (!(norm > maxNorm)) return;
  for (const [k, g] of grads) grads.set(k, tf.mul(g, maxNorm / norm));
}
