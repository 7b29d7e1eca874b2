import { tf, IGNORE_INDEX, type RawImage, type Tensor } from '@healthgpt/tensor-core';
import { chatTemplate, IMAGE_PLACEHOLDER, type TextTokenizer } from '@healthgpt/decoder';
import { preprocessSteps, clipImageProcessorConfig, type CLIPImageProcessorConfig } from '@healthgpt/vision-encoder';
import { START_TOKEN, codesToIds, findImageTokenIds, type VQTokenizer } from '@healthgpt/vq-tokenizer';
import type { Sample } from '@healthgpt/vl-health';
import type { HealthGPTConfig } from '../config/parse.js';
import { ModelError } from '../errors.js';
import { splicedLength } from '../model/splice.js';
import { conversationSegments, encodeSegments, type Turn } from './conversation.js';
import { TargetCodeCache } from './target_codes.js';
import { alignAnswer } from './aligned.js';

/** A sample ready for batching: ids with −200 per image, labels, the task, preprocessed pixels per image. */
export interface EncodedSample {
  id: string;
  task: string;
  ids: number[];
  labels: number[];
  /** [3·S·S] CHW pixel values per image, in `<image>` order. */
  pixels: Float32Array[];
}

/** A batch for `HealthGPT.forward` / `generate`. The caller disposes `pixelValues`. */
export interface HealthGPTBatch {
  inputIds: number[][];
  attentionMask: number[][];
  labels: number[][];
  /** [N, 3, S, S] (absent when no sample has an image). */
  pixelValues?: Tensor;
  task: string[];
}

const countTags = (s: string) => s.split(IMAGE_PLACEHOLDER).length - 1;

/**
 * Turns vl-health `Sample`s (and their decoded images) into model inputs: the chat template of
 * the config, `<image>` → −200, labels on assistant replies only, a generation sample's answer
 * replaced by its target image's VQ codes (`<start_index><idx_i>…<end_index>` as ids, computed once
 * per image), images preprocessed exactly as the CLIP reference does. With `aligned_generation`
 * the answer's positions hold the first input image's codes instead (see `alignAnswer`). `collate` pads a batch on
 * the right (training) or the left (generation).
 */
export class HealthGPTProcessor {
  readonly imageConfig: CLIPImageProcessorConfig;
  readonly targets: TargetCodeCache | null;

  constructor(
    readonly config: HealthGPTConfig,
    readonly tokenizer: TextTokenizer,
    vq: VQTokenizer | null = null,
  ) {
    this.imageConfig = clipImageProcessorConfig(config.vision.image_size);
    this.targets = vq ? new TargetCodeCache(vq) : null;
    const ids = config.imageTokens;
    if (ids) {
      let found;
      try {
        found = findImageTokenIds(tokenizer, ids.codebookSize);
      } catch (e) {
        throw new ModelError('TOKENIZER', `the tokenizer lacks the model's image tokens: ${(e as Error).message}`, { cause: e });
      }
      ModelError.check(found.start === ids.start, 'TOKENIZER', `the tokenizer's ${START_TOKEN} is id ${found.start}, the model's config says ${ids.start}`);
    }
  }

  /** Ids that end an answer: the template's turn separator (when one token) and the decoder's eos ids. */
  stopTokenIds(): number[] {
    const sep = chatTemplate(this.config.template).sep.trim();
    const id = this.tokenizer.tokenToId(sep);
    return [...new Set([...(id !== undefined ? [id] : []), ...this.config.text.eosTokenIds])];
  }

  /** Pixel values [3·S·S] of one image (CLIP preprocessing, bit-exact with the reference). */
  pixels(image: RawImage, where = 'image'): Float32Array {
    const ch = image.channels as number;
    ModelError.check(ch === 1 || ch === 3 || ch === 4, 'IMAGE', () => `${where} has ${ch} channels; expected 1 (grey), 3 (RGB) or 4 (RGBA)`);
    ModelError.check(Number.isInteger(image.width) && Number.isInteger(image.height) && image.width > 0 && image.height > 0, 'IMAGE', () => `${where} has an invalid size ${image.width}×${image.height}`);
    ModelError.check(image.data.length === image.width * image.height * ch, 'IMAGE', () => `${where} holds ${image.data.length} values, expected ${image.width}×${image.height}×${ch}`);
    return preprocessSteps(image, this.imageConfig).pixelValues;
  }

  /** [N, 3, S, S] from pixel arrays (undefined for none). */
  pixelTensor(pixels: readonly Float32Array[]): Tensor | undefined {
    if (!pixels.length) return undefined;
    const s = this.config.vision.image_size;
    const all = new Float32Array(pixels.length * 3 * s * s);
    pixels.forEach((p, i) => all.set(p, i * p.length));
    return tf.tensor4d(all, [pixels.length, 3, s, s]);
  }

  private checkLength(ids: number[], id: string, extra = 0): void {
    const p = (this.config.vision.image_size / this.config.vision.patch_size) ** 2;
    const len = splicedLength(ids, p) + extra;
    ModelError.check(len <= this.config.maxLength, 'PROMPT_TOO_LONG', () => `sample '${id}' is ${len} positions after splicing its images${extra ? ` (with ${extra} to generate)` : ''}, more than max_length ${this.config.maxLength}`, { key: id });
  }

  private task(name: string, id: string): 'text' | 'image' {
    const t = this.config.tasks.get(name);
    if (!t) throw new ModelError('UNKNOWN_TASK', `sample '${id}' has task '${name}', which this model does not have (${[...this.config.tasks.keys()].join(', ')})`, { key: id });
    return t.output;
  }

  /**
   * One training sample: `images` are the decoded `sample.images` (in order), `target` the
   * decoded `sample.targetImage` for an image task (its codes are cached under the target's path).
   */
  encodeSample(sample: Sample, images: readonly RawImage[], target?: RawImage): EncodedSample {
    const output = this.task(sample.task, sample.id);
    ModelError.check(images.length === sample.images.length, 'IMAGE_COUNT', `sample '${sample.id}' lists ${sample.images.length} image(s) but ${images.length} were given`, { key: sample.id });
    const turns: Turn[] = sample.conversations.map((c) => ({ role: c.from === 'human' ? 'user' : 'assistant', content: c.value }));
    const tags = turns.reduce((n, t) => n + countTags(t.content as string), 0);
    if (tags === 0 && images.length === 1) turns[0] = { ...turns[0], content: `${IMAGE_PLACEHOLDER}\n${turns[0].content as string}` }; // LLaVA's rule for untagged single-image samples
    else ModelError.check(tags === images.length, 'IMAGE_COUNT', `sample '${sample.id}' has ${tags} <image> tag(s) but ${images.length} image(s)`, { key: sample.id });
    if (output === 'image') {
      const last = turns.length - 1;
      ModelError.check(turns[last].role === 'assistant', 'ARGUMENT', `generation sample '${sample.id}' must end with the answer`, { key: sample.id });
      ModelError.check(target !== undefined, 'ARGUMENT', `generation sample '${sample.id}' needs its target image`, { key: sample.id });
      turns[last] = { role: 'assistant', content: this.answerIds(target, sample.targetImage) };
    }
    let { ids, labels } = encodeSegments(this.tokenizer, conversationSegments(this.config.template, turns));
    if (output === 'image' && this.config.alignedGeneration && images.length > 0) ({ ids, labels } = alignAnswer(ids, labels, this.config.imageTokens!, this.imageCodes(images[0], sample.images[0]), `sample '${sample.id}'`));
    this.checkLength(ids, sample.id);
    return { id: sample.id, task: sample.task, ids, labels, pixels: images.map((im, i) => this.pixels(im, `sample '${sample.id}' image ${i}`)) };
  }

  /** `<start_index>`, the target's codes as `<idx_i>` ids, `<end_index>`. */
  answerIds(target: RawImage, key?: string): number[] {
    const ids = this.config.imageTokens;
    ModelError.check(ids !== null && this.targets !== null, 'ARGUMENT', `image answers need the model's image tokens and VQ tokenizer`);
    return [ids.start, ...codesToIds(this.targets.codes(target, key), ids), ids.end];
  }

  /** The VQ codes (raster order) of an image, cached by `key` (its path) or by the image object: a target's, or with `aligned_generation` an input's. */
  imageCodes(image: RawImage, key?: string): number[] {
    ModelError.check(this.targets !== null, 'ARGUMENT', `image codes need the model's VQ tokenizer`);
    return this.targets.codes(image, key);
  }

  /**
   * The prompt of one request: a user turn with one `<image>` per image and the question, the
   * assistant's tag, and for an image task `<start_index>` (the reference's generation prompt).
   */
  promptIds(question: string, { images = 1, task }: { images?: number; task: string }): number[] {
    const output = this.task(task, 'request');
    const content = `${`${IMAGE_PLACEHOLDER}\n`.repeat(images)}${question}`;
    const { ids } = encodeSegments(this.tokenizer, conversationSegments(this.config.template, [{ role: 'user', content }], { generationPrompt: true }));
    if (output === 'image') ids.push(this.config.imageTokens!.start);
    return ids;
  }

  /**
   * Pad encoded samples into one batch: on the right for training (labels −100 on padding), on
   * the left for generation. Images are stacked in row order.
   */
  collate(samples: readonly EncodedSample[], { padding = 'right', padId = this.config.text.padTokenId ?? 0 }: { padding?: 'right' | 'left'; padId?: number } = {}): HealthGPTBatch {
    ModelError.check(samples.length > 0, 'ARGUMENT', `'collate' needs at least one sample`);
    const len = Math.max(...samples.map((s) => s.ids.length));
    const pad = <T>(row: T[], fill: T) => (padding === 'right' ? [...row, ...new Array<T>(len - row.length).fill(fill)] : [...new Array<T>(len - row.length).fill(fill), ...row]);
    const batch: HealthGPTBatch = {
      inputIds: samples.map((s) => pad(s.ids, padId)),
      attentionMask: samples.map((s) => pad(new Array<number>(s.ids.length).fill(1), 0)),
      labels: samples.map((s) => pad(s.labels, IGNORE_INDEX)),
      task: samples.map((s) => s.task),
    };
    const pv = this.pixelTensor(samples.flatMap((s) => s.pixels));
    if (pv) batch.pixelValues = pv;
    return batch;
  }
}
