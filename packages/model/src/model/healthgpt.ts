import { tf, Module, Generator, quantizeLinears, type Tensor } from '@healthgpt/tensor-core';
import { DecoderLM, type TextTokenizer, type LogitsProcessor } from '@healthgpt/decoder';
import type { RawImage } from '@healthgpt/tensor-core';
import { CLIPVisionModel, buildProjector, numPatches, type Projector } from '@healthgpt/vision-encoder';
import { VQTokenizer } from '@healthgpt/vq-tokenizer';
import { parseHealthGPTConfig, type HealthGPTConfig, type TaskSpec } from '../config/parse.js';
import type { HealthGPTConfigJson } from '../config/schema.js';
import { ModelError } from '../errors.js';
import { inputRows, groupByTask, type HealthGPTInput, type InputRow } from './inputs.js';
import { spliceRows, splicedLength, type Spliced } from './splice.js';
import { checkPixelValues, imageFeatures } from './vision.js';
import { injectPlugins, activatePlugin, activePlugin, restorePlugin } from './plugins.js';
import { HealthGPTProcessor } from '../processor/processor.js';
import { comprehend, comprehendBatch, type ComprehendOptions, type ComprehendRequest, type ComprehendResult } from '../inference/comprehend.js';
import { generateImage, generateImages, type GenerateImageOptions, type GenerateImageRequest, type GeneratedImage } from '../inference/generate_image.js';
import { newTokenRowMasks, maskNewTokenGradients } from './vocab_mask.js';
import { fromPretrained, savePretrained, type LoadOptions } from '../io/pretrained.js';
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

export interface HealthGPTGenerateOptions {
  /** Default: as many as fit in `max_length` after the longest prompt. */
  maxNewTokens?: number;
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  /** Ids that end a row (default: the decoder config's eos ids). */
  stopTokens?: number[];
  /** Seed of the sampler (default 0), or a generator: the same seed gives the same tokens. */
  seed?: number;
  generator?: Generator;
  /** Constraints applied before sampling, for all tasks or per task. */
  logitsProcessors?: LogitsProcessor[] | ((task: string) => LogitsProcessor[]);
  /** Decode the new tokens with this tokenizer: the result gets `texts`, each event `text`. */
  tokenizer?: TextTokenizer;
  /** Leave special tokens out of the decoded text (default true). */
  skipSpecialTokens?: boolean;
  /** Streams every new token of every row (with `tokenizer`, the text it adds); return `false` to stop. */
  onToken?: (e: { row: number; step: number; token: number; task: string; text?: string }) => void | boolean;
}

export interface HealthGPTGenerateResult {
  /** New ids per row, up to and including its stop token. */
  sequences: number[][];
  finishReasons: ('stop' | 'length' | 'callback')[];
  /** With a `tokenizer`: each row's new tokens decoded (its stop token left out). */
  texts?: string[];
}

/** The spliced embeddings of a batch, per task group (rows are batch indices). */
export interface SplicedGroup extends Spliced {
  task: string;
  rows: number[];
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
    holder.addModule('vision_tower', opts.visionTower ?? new CLIPVisionModel(cfg.vision, { gen: init ? gen.fork() : null }));
    inner.addModule('vision_tower', holder);
    holder.setTrainable(false); // the reference keeps CLIP frozen; a from-scratch stage unfreezes it explicitly
    for (const t of cfg.tasks.values()) inner.addModule(t.projector, buildProjector(cfg.projectorType, cfg.vision.hidden_size, cfg.text.hiddenSize, { gen: gen.fork() }));
    this.vq = opts.vq !== undefined ? opts.vq : cfg.vq ? new VQTokenizer(cfg.vq, { seed: seed + 1 }) : null;
    this.tokenizer = opts.tokenizer ?? null;
    this.eval();
  }

  /**
   * Load a folder written by `savePretrained` (config.json, model.safetensors, one PEFT folder
   * per task plugin, vq/, tokenizer.json), strictly; `quantize: 'int8'` quantizes after loading.
   */
  static fromPretrained(dir: string, options: LoadOptions = {}): Promise<HealthGPT> {
    return fromPretrained(dir, options);
  }

  /** Load the reference release's layout (base LLM + CLIP folders, per-task H-LoRA files, fusion weights). */
  static fromRelease(files: ReleaseFiles, options: LoadOptions = {}): Promise<HealthGPT> {
    return loadRelease(files, options);
  }

  /** Write the model as one folder, whole (see `fromPretrained`). */
  savePretrained(dir: string): Promise<void> {
    return savePretrained(this, dir);
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

  private rowTasks(task: HealthGPTInput['task'], b: number): string[] {
    const tasks = task === undefined ? new Array<string>(b).fill(this.tasks[0]) : typeof task === 'string' ? new Array<string>(b).fill(task) : [...task];
    ModelError.check(tasks.length === b, 'ARGUMENT', () => `'task' must name one task or one per row (${b}), got ${tasks.length}`);
    tasks.forEach((t) => this.task(t));
    return tasks;
  }

  /** Validate rows, tasks and images together; returns each image's task. */
  private checkBatch(rows: InputRow[], tasks: string[], pixelValues: Tensor | undefined, extra = 0): string[] {
    const tags = rows.reduce((n, r) => n + r.images, 0);
    const given = pixelValues ? pixelValues.shape[0] : 0;
    if (pixelValues) checkPixelValues(pixelValues, this.cfg);
    if (tags !== given) {
      const per = rows.map((r, i) => `row ${i}: ${r.images}`).join(', ');
      throw new ModelError('IMAGE_COUNT', `the prompts hold ${tags} <image> tag(s) (${per}) but ${given} image(s) were given`);
    }
    const p = this.patchesPerImage;
    rows.forEach((r, i) => {
      const len = splicedLength(r.ids, p) + extra;
      ModelError.check(len <= this.cfg.maxLength, 'PROMPT_TOO_LONG', () => `row ${i} is ${splicedLength(r.ids, p)} positions after splicing (${r.images} image(s) × ${p} patches)${extra ? ` + ${extra} to generate` : ''}, more than max_length ${this.cfg.maxLength}`, { record: i });
    });
    return rows.flatMap((r, i) => new Array<string>(r.images).fill(tasks[i]));
  }

  /** Per-image projected features [P, hidden] (image i of the batch); inside a tidy. */
  private features(pixelValues: Tensor | undefined, imageTasks: string[]): Tensor[] {
    if (!pixelValues || !imageTasks.length) return [];
    return imageFeatures(this.visionTower, (t) => this.projector(t), pixelValues, imageTasks, this.cfg);
  }

  /**
   * The projected features of images [N, C, S, S] for one task: its ViT layer (CLS dropped), then
   * its projector → [N, P, hidden]. What replaces the task's `<image>` tags.
   */
  encodeImages(pixelValues: Tensor, task: string = this.tasks[0]): Tensor {
    this.task(task);
    checkPixelValues(pixelValues, this.cfg);
    return tf.tidy(() => tf.stack(this.features(pixelValues, new Array<string>(pixelValues.shape[0]).fill(task))));
  }

  /** Splice each task group's rows (their images' features in place of the sentinels). */
  private spliceGroups(rows: InputRow[], tasks: string[], feats: Tensor[], padding: 'right' | 'left'): SplicedGroup[] {
    const firstImage: number[] = [];
    rows.reduce((n, r, i) => ((firstImage[i] = n), n + r.images), 0);
    const embed = (ids: number[]) => this.lm.embedTokens([ids]).reshape([ids.length, this.cfg.text.hiddenSize]);
    return groupByTask(tasks).map(({ task, rows: idx }) => {
      const spliceIn = idx.map((i) => ({ ids: rows[i].ids, labels: rows[i].labels, images: feats.slice(firstImage[i], firstImage[i] + rows[i].images) }));
      return { task, rows: idx, ...spliceRows(spliceIn, embed, this.cfg.text.hiddenSize, padding) };
    });
  }

  /**
   * The spliced input embeddings of a batch [B, T, hidden] (right-padded), with the spliced mask
   * and labels: what the decoder sees. For inspection and tests; `forward` does this per task.
   */
  embedInputs(input: HealthGPTInput): { inputsEmbeds: Tensor; attentionMask: number[][]; labels?: number[][] } {
    const rows = inputRows(input, this.lm.config.vocabSize);
    const tasks = this.rowTasks(input.task, rows.length);
    const imageTasks = this.checkBatch(rows, tasks, input.pixelValues);
    let mask: number[][] = [];
    let labels: number[][] | undefined;
    const inputsEmbeds = tf.tidy(() => {
      const groups = this.spliceGroups(rows, tasks, this.features(input.pixelValues, imageTasks), 'right');
      const merged = mergeGroups(groups.map((g) => ({ ...g, value: g.embeds })), rows.length);
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
    const rows = inputRows(input, this.lm.config.vocabSize);
    const tasks = this.rowTasks(input.task, rows.length);
    const imageTasks = this.checkBatch(rows, tasks, input.pixelValues);
    const before = activePlugin(this);
    let mask: number[][] = [];
    let labels: number[][] | null = null;
    try {
      const out = tf.tidy(() => {
        const groups = this.spliceGroups(rows, tasks, this.features(input.pixelValues, imageTasks), 'right');
        const outs = groups.map((g) => {
          activatePlugin(this, this.cfg, g.task);
          const padded = g.lengths.some((l) => l !== g.embeds.shape[1]);
          return this.lm.forward({ inputsEmbeds: g.embeds, attentionMask: padded ? g.mask : undefined, labels: g.labels ?? undefined, useCache: false }); // logits [Bg, Tg, V]
        });
        const merged = mergeGroups(groups.map((g, i) => ({ ...g, value: outs[i].logits })), rows.length);
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
    this.lm.releaseCaches();
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
    this.lm.releaseCaches();
    super.dispose();
    this.vq?.dispose();
  }

  /**
   * Autoregressive decoding from prompts with images (left-padded per task group, KV cache).
   * Each task's rows decode as one sub-batch with the task's plugin; results come back in batch
   * order. Returns the new ids per row (up to and including a stop token).
   */
  generate(input: Omit<HealthGPTInput, 'labels'>, options: HealthGPTGenerateOptions = {}): HealthGPTGenerateResult {
    const rows = inputRows(input, this.lm.config.vocabSize);
    const tasks = this.rowTasks(input.task, rows.length);
    const p = this.patchesPerImage;
    const longest = Math.max(...rows.map((r) => splicedLength(r.ids, p)));
    const maxNew = options.maxNewTokens ?? Math.max(1, this.cfg.maxLength - longest);
    const imageTasks = this.checkBatch(rows, tasks, input.pixelValues, maxNew);
    const gen = options.generator ?? new Generator(options.seed ?? 0);
    const out: HealthGPTGenerateResult = { sequences: new Array(rows.length), finishReasons: new Array(rows.length) };
    const before = activePlugin(this);
    let stopped = false;
    try {
      let groups: SplicedGroup[] = [];
      tf.tidy(() => {
        groups = this.spliceGroups(rows, tasks, this.features(input.pixelValues, imageTasks), 'left');
        return groups.map((g) => g.embeds);
      });
      try {
        for (const g of groups) {
          if (stopped) {
            g.rows.forEach((r) => {
              out.sequences[r] = [];
              out.finishReasons[r] = 'callback';
              if (options.tokenizer) (out.texts ??= new Array(rows.length))[r] = '';
            });
            continue;
          }
          activatePlugin(this, this.cfg, g.task);
          const padded = g.lengths.some((l) => l !== g.embeds.shape[1]);
          const procs = typeof options.logitsProcessors === 'function' ? options.logitsProcessors(g.task) : (options.logitsProcessors ?? []);
          const done = new Array<boolean>(g.rows.length).fill(false);
          const onToken = options.onToken;
          const res = this.lm.generate({
            inputsEmbeds: g.embeds,
            attentionMask: padded ? g.mask : undefined,
            maxNewTokens: maxNew,
            doSample: options.doSample,
            temperature: options.temperature,
            topK: options.topK,
            topP: options.topP,
            repetitionPenalty: options.repetitionPenalty,
            stopTokens: options.stopTokens,
            generator: gen,
            logitsProcessors: procs,
            tokenizer: options.tokenizer,
            skipSpecialTokens: options.skipSpecialTokens,
            generationConfig: null,
            onToken: onToken
              ? ({ step, tokens, finished, text }) => {
                  let go = true;
                  g.rows.forEach((row, k) => {
                    if (!done[k] && onToken({ row, step, token: tokens[k], task: g.task, ...(text ? { text: text[k] } : {}) }) === false) go = false;
                    done[k] = finished[k];
                  });
                  if (!go) stopped = true;
                  return go;
                }
              : undefined,
          });
          g.rows.forEach((row, k) => {
            out.sequences[row] = res.sequences[k];
            out.finishReasons[row] = res.finishReasons[k];
            if (res.texts) (out.texts ??= new Array(rows.length))[row] = res.texts[k];
          });
        }
      } finally {
        groups.forEach((g) => g.embeds.dispose());
      }
    } finally {
      restorePlugin(this, before);
    }
    return out;
  }

}

/** Targets the shifted loss scores in each row: labels[:, 1:] that are not −100. */
function supervisedTargets(labels: number[][]): number {
  return labels.reduce((n, r) => n + r.slice(1).filter((l) => l !== -100).length, 0);
}

/** The batch mean over every supervised target from per-group means: Σ loss_g · n_g / Σ n_g (one group: its loss). */
function batchLoss(losses: Tensor[], counts: number[]): Tensor {
  if (losses.length === 1) return losses[0];
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return tf.scalar(0);
  return tf.addN(losses.map((l, i) => tf.mul(l, counts[i] / total)));
}

/**
 * Per-group tensors [Bg, Tg, ...] → one [B, T, ...] in batch order (zeros after each row's
 * group length), with the groups' masks and labels merged the same way.
 */
function mergeGroups(groups: (SplicedGroup & { value: Tensor })[], b: number): { value: Tensor; mask: number[][]; labels: number[][] | null } {
  const t = Math.max(...groups.map((g) => g.value.shape[1]!));
  const mask: number[][] = new Array(b);
  const labels: number[][] | null = groups.some((g) => g.labels) ? new Array(b) : null;
  const parts = groups.map((g) => {
    const gap = t - g.value.shape[1]!;
    g.rows.forEach((row, k) => {
      mask[row] = [...g.mask[k], ...new Array<number>(gap).fill(0)];
      if (labels) labels[row] = [...(g.labels?.[k] ?? new Array<number>(g.mask[k].length).fill(-100)), ...new Array<number>(gap).fill(-100)];
    });
    if (!gap) return g.value;
    const pad = [...g.value.shape];
    pad[1] = gap;
    return tf.concat([g.value, tf.zeros(pad)], 1);
  });
  const order = groups.flatMap((g) => g.rows);
  let value = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  if (order.some((r, i) => r !== i)) {
    const inverse = new Array<number>(b);
    order.forEach((r, i) => (inverse[r] = i));
    value = tf.gather(value, tf.tensor1d(inverse, 'int32'));
  }
  return { value, mask, labels };
}
