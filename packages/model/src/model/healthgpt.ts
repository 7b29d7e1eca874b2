import { tf, Module, Generator, quantizeLinears, type Tensor, type RawImage, type FolderReader, type FolderWriter } from '@healthgpt/tensor-core';
import { DecoderLM, type TextTokenizer } from '@healthgpt/decoder';
import { CLIPVisionModel, buildProjector, numPatches, type Projector } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { parseHealthGPTConfig, type HealthGPTConfig, type TaskSpec } from '../config/parse.js';
import type { HealthGPTConfigJson } from '../config/schema.js';
import { ModelError } from '../errors.js';
import type { HealthGPTInput } from './inputs.js';
import { checkPixelValues } from './vision.js';
import { prepareBatch, spliceBatch, batchFeatures } from './batch.js';
import { mergeGroups, batchLoss, supervisedTargets } from './merge.js';
import { generateBatch, type HealthGPTGenerateOptions, type HealthGPTGenerateResult } from './generate.js';
import { injectPlugins, activatePlugin, activePlugin, restorePlugin } from './plugins.js';
import { HealthGPTProcessor } from '../processor/processor.js';
import { comprehend, comprehendBatch, type ComprehendOptions, type ComprehendRequest, type ComprehendResult } from '../inference/comprehend.js';
import { generateImage, generateImages, type GenerateImageOptions, type GenerateImageRequest, type GeneratedImage } from '../inference/generate_image.js';
import { newTokenRowMasks, maskNewTokenGradients } from './vocab_mask.js';
import { fromPretrained, savePretrained, type LoadOptions, type SaveOptions } from '../io/pretrained.js';
import { loadRelease, saveRelease, type ReleaseFiles } from '../io/release_files.js';

export interface HealthGPTOptions {
  /** Seed of the from-scratch initialisation (default 0). */
  seed?: number;
  /** Draw random weights (default true); `false` fills zeros where the parts allow it (weights about to be loaded). */
  init?: boolean;
  /** Use this decoder (its config becomes `text_config`) instead of building one. */
  decoder?: DecoderLM;
  /** Use this vision tower instead of building one. */
  visionTower?: CLIPVisionModel;
  /** The VQ image tokenizer (default: built from `vq_config`, or none). */
  vq?: VQTokenizer | null;
  /** The text tokenizer (needed by `comprehend`, `generateImage` and the processor). */
  tokenizer?: TextTokenizer | null;
}

/** What `forward` returns; the caller disposes the tensors. */
export interface HealthGPTOutput {
  /** [B, T, V] logits over the spliced sequences (right-padded; padded positions are meaningless). */
  logits: Tensor;
  /** With labels: the mean next-token cross-entropy over supervised positions of the whole batch. */
  loss?: Tensor;
  /** [B, T] spliced mask (1 = real position). */
  attentionMask: number[][];
  /** [B, T] spliced labels (−100 on image positions, prompts and padding), with labels only. */
  labels?: number[][];
}

/**
 * HealthGPT: a CLIP vision tower, one projector and one H-LoRA plugin per task, and one decoder,
 * in one module tree under the release's names (`model.embed_tokens`, `model.layers.{i}.…`,
 * `model.norm`, `lm_head`, `model.mm_projector.*`, `model.gen_mm_projector.*`,
 * `model.vision_tower.vision_tower.vision_model.*`). Every task's plugin stays resident; a batch
 * may mix tasks (each task's rows run as a sub-batch with that task's ViT layer, projector and
 * plugin, inside one forward).
 */
export class HealthGPT extends Module {
  /** The decoder; it shares `model` (the embedding, layers and norm) and `lm_head` with this tree. */
  readonly lm: DecoderLM;
  private cfg: HealthGPTConfig;
  vq: VQTokenizer | null;
  tokenizer: TextTokenizer | null;
  private proc: HealthGPTProcessor | null = null;

  constructor(config: HealthGPTConfigJson | HealthGPTConfig, opts: HealthGPTOptions = {}) {
    super();
    let cfg = 'tasks' in config && config.tasks instanceof Map ? (config as HealthGPTConfig) : parseHealthGPTConfig(config);
    const { seed = 0, init = true } = opts;
    const gen = new Generator(seed);
    this.lm = opts.decoder ?? new DecoderLM(cfg.text, { gen: gen.fork(), init });
    cfg = { ...cfg, text: this.lm.config };
    this.cfg = cfg;
    this.registerModule('model', this.lm.child('model'));
    if (!cfg.text.tieWordEmbeddings) this.registerModule('lm_head', this.lm.child('lm_head'));
    injectPlugins(this, cfg, gen.fork()); // only decoder layers exist yet: nothing else can be wrapped
    const inner = this.lm.child('model');
    const holder = new Module();
    holder.addModule('vision_tower', opts.visionTower ?? new CLIPVisionModel(cfg.vision, init ? { gen: gen.fork() } : { init: false }));
    inner.addModule('vision_tower', holder);
    holder.setTrainable(false); // the reference keeps CLIP frozen; a from-scratch stage unfreezes it explicitly
    for (const t of cfg.tasks.values()) inner.addModule(t.projector, buildProjector(cfg.projectorType, cfg.vision.hidden_size, cfg.text.hiddenSize, { gen: gen.fork(), init }));
    this.vq = opts.vq !== undefined ? opts.vq : cfg.vq ? new VQTokenizer(cfg.vq, { seed: seed + 1, init }) : null;
    this.tokenizer = opts.tokenizer ?? null;
    this.eval();
  }

  /**
   * Load a folder written by `savePretrained` (config.json, model.safetensors, one PEFT folder
   * per task plugin, vq/, tokenizer.json), strictly, as one version of the folder; `source` may be
   * a `FolderReader` (a sub-folder of a bigger save). `quantize: 'int8'` quantizes after loading.
   */
  static fromPretrained(source: string | FolderReader, options: LoadOptions = {}): Promise<HealthGPT> {
    return fromPretrained(source, options);
  }

  /** Load the reference release's layout (base LLM + CLIP folders, per-task H-LoRA files, fusion weights). */
  static fromRelease(files: ReleaseFiles, options: LoadOptions = {}): Promise<HealthGPT> {
    return loadRelease(files, options);
  }

  /**
   * Write the model as one folder, whole: a kill at any instant leaves the old folder or the new
   * one (see `fromPretrained`). With a `FolderWriter` the files are staged in it for its owner's commit.
   */
  savePretrained(target: string | FolderWriter, options: SaveOptions = {}): Promise<void> {
    return savePretrained(this, target, options);
  }

  /** Write the model in the release's layout (for the reference PyTorch code); returns the paths `fromRelease` takes. */
  saveRelease(dir: string): Promise<ReleaseFiles> {
    return saveRelease(this, dir);
  }

  /** The parsed config (the decoder's part as it is now, e.g. after a vocabulary extension). */
  get config(): HealthGPTConfig {
    return { ...this.cfg, text: this.lm.config };
  }

  /** Task names, in config order. */
  get tasks(): string[] {
    return [...this.cfg.tasks.keys()];
  }

  /** A task's spec; an unknown name is a `ModelError` `UNKNOWN_TASK` listing the known ones. */
  task(name: string): TaskSpec {
    const t = this.cfg.tasks.get(name);
    if (!t) throw new ModelError('UNKNOWN_TASK', `unknown task '${name}' (this model has: ${this.tasks.join(', ')})`, { key: name });
    return t;
  }

  /** Image patches per image after the tower (CLS dropped): the positions one `<image>` becomes. */
  get patchesPerImage(): number {
    return numPatches(this.cfg.vision);
  }

  get visionTower(): CLIPVisionModel {
    return this.getSubmodule<CLIPVisionModel>('model.vision_tower.vision_tower');
  }

  projector(task: string): Projector {
    return this.getSubmodule<Projector>(`model.${this.task(task).projector}`);
  }

  /** Root-level replacements of `lm_head` reach the decoder too (it reads its own child). */
  override setSubmodule(path: string, module: Module): Module {
    ModelError.check(path !== 'model', 'ARGUMENT', `'setSubmodule': 'model' cannot be replaced (replace its children)`);
    const old = super.setSubmodule(path, module);
    if (path === 'lm_head') this.lm.setSubmodule('lm_head', module);
    return old;
  }

  /**
   * The projected features of images [N, C, S, S] for one task: its ViT layer (CLS dropped), then
   * its projector → [N, P, hidden]. What replaces the task's `<image>` tags.
   */
  encodeImages(pixelValues: Tensor, task: string = this.tasks[0]): Tensor {
    this.task(task);
    checkPixelValues(pixelValues, this.cfg);
    return tf.tidy(() => tf.stack(batchFeatures(this, pixelValues, new Array<string>(pixelValues.shape[0]).fill(task))));
  }

  /**
   * The spliced input embeddings of a batch [B, T, hidden] (right-padded), with the spliced mask
   * and labels: what the decoder sees. For inspection and tests; `forward` does this per task.
   */
  embedInputs(input: HealthGPTInput): { inputsEmbeds: Tensor; attentionMask: number[][]; labels?: number[][] } {
    const b = prepareBatch(this, input);
    let mask: number[][] = [];
    let labels: number[][] | undefined;
    const inputsEmbeds = tf.tidy(() => {
      const groups = spliceBatch(this, b, 'right');
      const merged = mergeGroups(groups.map((g) => ({ ...g, value: g.embeds })), b.rows.length);
      mask = merged.mask;
      labels = merged.labels ?? undefined;
      return merged.value;
    });
    return labels ? { inputsEmbeds, attentionMask: mask, labels } : { inputsEmbeds, attentionMask: mask };
  }

  /**
   * One forward over a batch that may mix tasks: logits [B, T, V] over the spliced, right-padded
   * sequences, and with `labels` the shifted next-token cross-entropy (−100 ignored) averaged over
   * every supervised position of the batch. Each task's rows run as one sub-batch with the task's
   * ViT layer, projector and plugin; a gradient taken around this call covers all of them.
   */
  forward(input: HealthGPTInput): HealthGPTOutput {
    const b = prepareBatch(this, input);
    const before = activePlugin(this);
    let mask: number[][] = [];
    let labels: number[][] | null = null;
    try {
      const out = tf.tidy(() => {
        const groups = spliceBatch(this, b, 'right');
        const outs = groups.map((g) => {
          activatePlugin(this, this.cfg, g.task);
          const padded = g.lengths.some((l) => l !== g.embeds.shape[1]);
          return this.lm.forward({ inputsEmbeds: g.embeds, attentionMask: padded ? g.mask : undefined, labels: g.labels ?? undefined, useCache: false }); // logits [Bg, Tg, V]
        });
        const merged = mergeGroups(groups.map((g, i) => ({ ...g, value: outs[i].logits })), b.rows.length);
        mask = merged.mask;
        labels = merged.labels;
        const result: { logits: Tensor; loss?: Tensor } = { logits: merged.value };
        if (merged.labels) result.loss = batchLoss(outs.map((o) => o.loss!), groups.map((g) => supervisedTargets(g.labels!)));
        return result;
      });
      const res: HealthGPTOutput = { ...out, attentionMask: mask };
      if (labels) res.labels = labels;
      return res;
    } finally {
      restorePlugin(this, before);
    }
  }

  /** `forward(input).loss` alone (the logits are freed): the function to differentiate in training. */
  computeLoss(input: HealthGPTInput): Tensor {
    ModelError.check(input.labels !== undefined, 'ARGUMENT', `'computeLoss' needs 'labels'`);
    const out = this.forward(input);
    out.logits.dispose();
    return out.loss!;
  }

  /** Quantize every Linear layer (decoder, lm_head, tower, projectors; adapters stay float) to int8 weights. */
  quantize(mode: 'int8' = 'int8', { include }: { include?: (path: string) => boolean } = {}): string[] {
    ModelError.check(mode === 'int8', 'ARGUMENT', `'mode' passed to 'quantize' must be 'int8', got ${mode}`);
    return quantizeLinears(this, include ? { include } : {});
  }

  /** The processor for this model's config, tokenizer and VQ tokenizer (one per tokenizer; it caches target codes). */
  get processor(): HealthGPTProcessor {
    ModelError.check(this.tokenizer !== null, 'TOKENIZER', `this model has no tokenizer (load one with fromPretrained, or set 'tokenizer')`);
    if (!this.proc || this.proc.tokenizer !== this.tokenizer || this.proc.targets?.vq !== (this.vq ?? undefined)) this.proc = new HealthGPTProcessor(this.config, this.tokenizer, this.vq);
    return this.proc;
  }

  /**
   * Answer a question about one or more images (RawImage: grey, RGB or RGBA; 8/16-bit or float)
   * with a text task's plugin. The whole answer is returned, decoded (it ends only at a stop token
   * or the model's length); `onText` streams it.
   */
  comprehend(images: RawImage | readonly RawImage[], question: string, options: ComprehendOptions = {}): string {
    return comprehend(this, images, question, options);
  }

  /** Several questions in one batch; each result has the text, the ids and why it stopped. */
  comprehendBatch(requests: readonly ComprehendRequest[], options: ComprehendOptions = {}): ComprehendResult[] {
    return comprehendBatch(this, requests, options);
  }

  /**
   * Make an image from an instruction (and the input image(s) it refers to) with an image task's
   * plugin: exactly grid² image tokens, then the VQ decoder. Returns the image and its codes.
   */
  generateImage(image: RawImage | readonly RawImage[] | undefined, instruction: string, options: GenerateImageOptions = {}): GeneratedImage {
    return generateImage(this, image, instruction, options);
  }

  /** Several images in one batch. */
  generateImages(requests: readonly GenerateImageRequest[], options: GenerateImageOptions = {}): GeneratedImage[] {
    return generateImages(this, requests, options);
  }

  /**
   * Gradient masks [rows, 1] for `model.embed_tokens.weight` and `lm_head.weight`: 1 on the image
   * token rows added by the vocabulary extension, 0 on the rest. A stage that trains only those
   * rows multiplies the two gradients by them (the trainable flag is per tensor). The caller owns them.
   */
  newTokenRowMasks(): Map<string, Tensor> {
    return newTokenRowMasks(this);
  }

  /** `grads` with the embedding and head gradients restricted to the new image-token rows (the originals are disposed). */
  maskNewTokenGradients(grads: Map<string, Tensor>): Map<string, Tensor> {
    return maskNewTokenGradients(this, grads);
  }

  override dispose(): void {
    super.dispose();
    this.vq?.dispose();
  }

  /**
   * Autoregressive decoding from prompts with images (left-padded per task group, KV cache).
   * Each task's rows decode as one sub-batch with the task's plugin; results come back in batch
   * order. Returns the new ids per row (up to and including a stop token), and their text with a
   * `tokenizer`.
   */
  generate(input: Omit<HealthGPTInput, 'labels'>, options: HealthGPTGenerateOptions = {}): HealthGPTGenerateResult {
    return generateBatch(this, input, options);
  }

}

