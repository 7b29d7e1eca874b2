import { join } from 'node:path';
import { Adam, Generator, clipGradNorm, exponentialDecay, tf, warmupCosine, type Schedule, type Tensor } from '@healthgpt/tensor-core';
import { VQTokenizer } from '../model.js';
import { VQTokenizerError } from '../errors.js';
import { imagesTensor, type ImageSource } from './data.js';
import { OPTIMIZER_FILE, readCheckpointState, writeCheckpoint, type TrainerState } from './checkpoint.js';
import type { ProgressInfo } from './progress.js';

export interface TrainOptions {
  /** Total optimisation steps of the run. */
  steps: number;
  batchSize?: number;
  /** Peak learning rate (linear warm-up from 0, then cosine decay to 10 %: tensor-core's `warmupCosine`). */
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
  VQTokenizerError.check(r.lr > 0 && Number.isFinite(r.lr), 'ARGUMENT', `'lr' passed to 'VQTrainer' must be positive, got ${r.lr}`);
  VQTokenizerError.check(Number.isInteger(r.warmupSteps) && r.warmupSteps >= 0 && r.warmupSteps <= r.steps, 'ARGUMENT', `'warmupSteps' passed to 'VQTrainer' must be an integer in [0, steps], got ${r.warmupSteps}`);
  VQTokenizerError.check(r.reconLoss === 'l1' || r.reconLoss === 'l2', 'ARGUMENT', `'reconLoss' passed to 'VQTrainer' must be 'l1' or 'l2', got '${r.reconLoss}'`);
  const t = r.temperature;
  VQTokenizerError.check(t.start > 0 && t.end > 0 && Number.isInteger(t.steps) && t.steps >= 0, 'ARGUMENT', () => `'temperature' passed to 'VQTrainer' needs start, end > 0 and an integer steps ≥ 0, got ${JSON.stringify(t)}`);
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
 * prior with an annealed temperature, or VQ's codebook and commitment loss), tensor-core's Adam with
 * warm-up and cosine decay and gradient-norm clipping, atomic checkpoints that resume exactly
 * (weights, optimizer state, step, sampler state).
 */
export class VQTrainer {
  readonly options: Resolved;
  step = 0;
  readonly history: StepStats[] = [];
  private readonly images: Tensor;
  private readonly gen: Generator;
  /** Adam (β₂ 0.99) over the model's trainable parameters; its state is saved in checkpoints. */
  readonly optimizer: Adam;
  private readonly lrSchedule: Schedule;
  private readonly temperatureSchedule: Schedule;

  constructor(
    readonly model: VQTokenizer,
    images: ImageSource,
    options: TrainOptions,
  ) {
    this.options = resolve(options);
    const dd = model.config.ddconfig;
    this.images = imagesTensor(images, { size: dd.resolution, channels: dd.in_channels });
    this.gen = new Generator(this.options.seed);
    const o = this.options;
    this.optimizer = new Adam(model.trainableParameters(), { lr: o.lr, betas: [0.9, 0.99] });
    this.lrSchedule = warmupCosine({ peak: o.lr, warmupSteps: o.warmupSteps, totalSteps: o.steps, floor: 0.1 * o.lr });
    this.temperatureSchedule = exponentialDecay({ from: o.temperature.start, to: o.temperature.end, steps: o.temperature.steps });
  }

  /** Resume from a folder written by a trainer (weights, optimizer moments, step, sampler state). */
  static async resume(dir: string, images: ImageSource, options: TrainOptions): Promise<VQTrainer> {
    const model = await VQTokenizer.fromPretrained(dir);
    const state = await readCheckpointState(dir);
    const trainer = new VQTrainer(model, images, options);
    await trainer.optimizer.load(join(dir, OPTIMIZER_FILE));
    trainer.step = state.step;
    trainer.gen.setState(state.rng);
    trainer.history.push(...state.history);
    return trainer;
  }

  temperatureAt(step: number): number {
    return this.temperatureSchedule(step);
  }

  lrAt(step: number): number {
    return this.lrSchedule(step);
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
    this.optimizer.setLr(lr);
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
      if (o.clipNorm > 0) clipGradNorm(grads, o.clipNorm);
      this.optimizer.step(grads);
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
    const state: TrainerState = { step: this.step, rng: this.gen.getState(), options, history: this.history };
    const optimizer = this.optimizer.stateDict();
    try {
      await writeCheckpoint(dir, this.model, optimizer, state);
    } finally {
      tf.dispose([...optimizer.values()]);
    }
  }

  /** Free the training images and optimizer state (not the model). */
  dispose(): void {
    this.images.dispose();
    this.optimizer.dispose();
  }
}
