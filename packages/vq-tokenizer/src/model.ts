import { Conv2d, Generator, Module, disposeOnThrow, tf, type Tensor, type FolderReader, type FolderWriter } from '@healthgpt/tensor-core';
import { Encoder } from './encoder.js';
import { Decoder } from './decoder.js';
import { GumbelQuantize, VectorQuantize, type Quantizer, type QuantizeTrainOutput } from './quantize.js';
import { validateConfig, type VQConfig } from './config.js';
import { VQTokenizerError } from './errors.js';
import { loadPretrained, savePretrained } from './pretrained.js';
import { checkVQBuildable } from './key_map.js';

export interface VQTokenizerOptions {
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
  /** Draw the initialisation (default true); `false` starts every tensor at zero (ones for norms), for weights about to be loaded. */
  init?: boolean;
  /**
   * Refuse (with a `VQTokenizerError`, before allocating) a config implying more parameters than
   * this; default: as many float32 values as the machine has memory.
   */
  maxParameters?: number;
}

export interface EncodeOptions {
  /** Sample codes with Gumbel noise (taming's stochastic encode) instead of the noise-free argmax. */
  sample?: { seed: number };
}

export interface TrainForwardOptions {
  temperature?: number;
  hard?: boolean;
  seed?: number;
  /** Codebook-diversity weight (Gumbel quantizer; see `QuantizeTrainOptions.diversity`). */
  diversity?: number;
}

/** Reconstruction, quantizer loss term and codes of one training forward. */
export interface TrainForwardOutput extends QuantizeTrainOutput {
  /** [B, out_ch, H, W] */
  recon: Tensor;
}

/**
 * The GumbelVQ tokenizer with taming's checkpoint keys: `encoder.*`, `quant_conv`, `quantize.*`,
 * `post_quant_conv`, `decoder.*`. Images are NCHW float32 in [−1, 1]; codes are int32 [B, h, w].
 */
export class VQTokenizer extends Module {
  readonly config: VQConfig;

  constructor(config: VQConfig, { seed = 0, init = true, maxParameters }: VQTokenizerOptions = {}) {
    super();
    validateConfig(config);
    checkVQBuildable(config, maxParameters);
    this.config = config;
    const dd = config.ddconfig;
    const gen = new Generator(seed);
    disposeOnThrow(() => {
      this.registerModule('encoder', new Encoder(dd, gen, init));
      this.registerModule('decoder', new Decoder(dd, gen, init));
      const q: Quantizer =
        config.quantizer === 'gumbel'
          ? new GumbelQuantize(dd.z_channels, config.embed_dim, config.n_embed, config.kl_weight, gen, init)
          : new VectorQuantize(config.embed_dim, config.n_embed, config.beta, gen, init);
      this.registerModule('quantize', q);
      this.registerModule('quant_conv', new Conv2d(dd.z_channels, config.embed_dim, 1, { gen, init }));
      this.registerModule('post_quant_conv', new Conv2d(config.embed_dim, dd.z_channels, 1, { gen, init }));
    });
    this.eval();
  }

  /** Load `config.json` + `model.safetensors` strictly, header before allocation (taming's `loss.*` keys are ignored). */
  static fromPretrained(source: string | FolderReader, options: Pick<VQTokenizerOptions, 'maxParameters'> = {}): Promise<VQTokenizer> {
    return loadPretrained(source, options);
  }

  /** Write `config.json` + `model.safetensors` as one whole-folder save (or stage them in a `FolderWriter`). */
  savePretrained(target: string | FolderWriter): Promise<void> {
    return savePretrained(this, target);
  }

  /** Spatial downsampling factor f (8 for the f8 models). */
  get factor(): number {
    return 2 ** (this.config.ddconfig.ch_mult.length - 1);
  }

  private checkImages(images: Tensor, op: string): void {
    const dd = this.config.ddconfig;
    VQTokenizerError.check(images.rank === 4, 'ARGUMENT', () => `'images' passed to '${op}' must be rank 4 [B, ${dd.in_channels}, H, W], got [${images.shape}]`);
    VQTokenizerError.check(images.dtype === 'float32', 'ARGUMENT', () => `'images' passed to '${op}' must be float32, got ${images.dtype}`);
    VQTokenizerError.check(images.shape[1] === dd.in_channels, 'ARGUMENT', () => `'images' passed to '${op}' must have ${dd.in_channels} channels (NCHW), got [${images.shape}]`);
    const f = this.factor;
    const [, , h, w] = images.shape as number[];
    VQTokenizerError.check(h % f === 0 && w % f === 0, 'ARGUMENT', () => `'images' passed to '${op}' must have H and W divisible by ${f}, got [${images.shape}]`);
  }

  /** quant_conv(encoder(x)): [B, 3, H, W] → [B, embed_dim, H/f, W/f] */
  encodeLatent(images: Tensor): Tensor {
    this.checkImages(images, 'encodeLatent');
    return tf.tidy(() => this.child<Conv2d>('quant_conv').forward(this.child<Encoder>('encoder').forward(images)));
  }

  /** Code scores: [B, 3, H, W] → [B, n_embed, H/f, W/f] */
  encodeLogits(images: Tensor): Tensor {
    return tf.tidy(() => this.child<Quantizer>('quantize').logits(this.encodeLatent(images)));
  }

  /** Images in [−1, 1] → int32 codes [B, H/f, W/f]: the argmax (first index on ties), or a seeded Gumbel sample. */
  encode(images: Tensor, { sample }: EncodeOptions = {}): Tensor {
    this.checkImages(images, 'encode');
    return tf.tidy(() => {
      let logits = this.encodeLogits(images); // [B, n, h, w]
      if (sample) {
        const u = tf.randomUniform(logits.shape, 1e-10, 1, 'float32', sample.seed);
        logits = tf.sub(logits, tf.log(tf.neg(tf.log(u))));
      }
      return tf.argMax(logits, 1).toInt(); // [B, h, w]
    });
  }

  /** Codes int32 [B, h, w] → code vectors z_q [B, embed_dim, h, w] (`get_codebook_entry`). */
  lookup(indices: Tensor): Tensor {
    VQTokenizerError.check(indices.rank === 3, 'ARGUMENT', () => `'indices' passed to 'lookup' must be rank 3 [B, h, w], got [${indices.shape}]`);
    VQTokenizerError.check(indices.dtype === 'int32', 'ARGUMENT', () => `'indices' passed to 'lookup' must be int32, got ${indices.dtype}`);
    const range = tf.tidy(() => tf.stack([tf.min(indices), tf.max(indices)]));
    const [lo, hi] = Array.from(range.dataSync());
    range.dispose();
    VQTokenizerError.check(lo >= 0 && hi < this.config.n_embed, 'ARGUMENT', () => `'indices' passed to 'lookup' must lie in [0, ${this.config.n_embed}), got values from ${lo} to ${hi}`);
    return this.child<Quantizer>('quantize').lookup(indices);
  }

  /** post_quant_conv then the decoder: [B, embed_dim, h, w] → [B, out_ch, h·f, w·f] */
  decodeLatent(zq: Tensor): Tensor {
    return tf.tidy(() => this.child<Decoder>('decoder').forward(this.child<Conv2d>('post_quant_conv').forward(zq)));
  }

  /** Codes int32 [B, h, w] → images [B, out_ch, h·f, w·f] (about [−1, 1]; not clamped). */
  decode(indices: Tensor): Tensor {
    const zq = this.lookup(indices);
    const out = this.decodeLatent(zq);
    zq.dispose();
    return out;
  }

  /** decode(encode(images)). */
  reconstruct(images: Tensor): Tensor {
    const idx = this.encode(images);
    const out = this.decode(idx);
    idx.dispose();
    return out;
  }

  /** The differentiable training forward (quantizer relaxed as configured). */
  trainForward(images: Tensor, { temperature = 1, hard = true, seed = 0, diversity = 0 }: TrainForwardOptions = {}): TrainForwardOutput {
    this.checkImages(images, 'trainForward');
    return tf.tidy(() => {
      const q = this.child<Quantizer>('quantize').trainForward(this.encodeLatent(images), { temperature, hard, seed, diversity });
      return { ...q, recon: this.decodeLatent(q.zq) };
    });
  }
}
