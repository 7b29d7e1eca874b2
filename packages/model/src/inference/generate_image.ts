import { tf, Generator, type RawImage } from '@healthgpt/tensor-core';
import { indexBlockConstraint, type SamplingOptions } from '@healthgpt/decoder';
import { latentSize, idsToCodes, toUint8HWC } from '@healthgpt/vq-tokenizer';
import type { HealthGPT } from '../model/healthgpt.js';
import { ModelError } from '../errors.js';
import { pickTask } from './comprehend.js';
import { alignedCodes } from './generate_aligned.js';

/** One image to make: the instruction and the input image(s) it refers to (none for text-to-image). */
export interface GenerateImageRequest {
  image?: RawImage | readonly RawImage[];
  instruction: string;
}

/** Sampling as in the decoder's `generate` (no repetition penalty over image codes). */
export interface GenerateImageOptions extends Omit<SamplingOptions, 'repetitionPenalty'> {
  /** An image task (default: the model's first one, `generation`). */
  task?: string;
  seed?: number;
  /** Streams each image code as it is chosen (`index` in raster order); return `false` to stop. */
  onCode?: (e: { row: number; index: number; code: number }) => void | boolean;
}

export interface GeneratedImage {
  /** The decoded image (8-bit RGB, as the reference saves it); null when stopped early. */
  image: RawImage | null;
  /** The grid² codes in raster order (fewer when stopped early). */
  codes: number[];
  finishReason: 'stop' | 'length' | 'callback';
}

const list = (x: RawImage | readonly RawImage[] | undefined): readonly RawImage[] => (x === undefined ? [] : Array.isArray(x) ? (x as readonly RawImage[]) : [x as RawImage]);

/**
 * Generate images in one batch: the prompt ends with `<start_index>`, decoding is constrained to
 * exactly grid² image tokens and then `<end_index>` (left-padded, autoregressive), and the VQ
 * decoder turns the codes into images. With `aligned_generation` a request with an input image
 * instead runs one forward over its prompt followed by that image's codes (`alignedCodes`); a
 * request without one decodes as above.
 */
export function generateImages(model: HealthGPT, requests: readonly GenerateImageRequest[], o: GenerateImageOptions = {}): GeneratedImage[] {
  ModelError.check(requests.length > 0, 'ARGUMENT', `'generateImage' needs at least one request`);
  const task = pickTask(model, 'image', o.task);
  const vq = model.vq;
  const ids = model.config.imageTokens;
  ModelError.check(vq !== null && ids !== null, 'ARGUMENT', `image generation needs the VQ tokenizer and the image tokens`);
  const grid = latentSize(vq.config.ddconfig);
  const count = grid * grid;
  const gen = new Generator(o.seed ?? 0);
  const aligned = requests.map((r) => model.config.alignedGeneration && list(r.image).length > 0);
  const codes: number[][] = requests.map(() => []);
  const reasons: GeneratedImage['finishReason'][] = requests.map(() => 'callback');
  let go = true;
  const rowsOf = (want: boolean) => requests.flatMap((_, i) => (aligned[i] === want ? [i] : []));
  const inAligned = rowsOf(true);
  if (inAligned.length) {
    const onCode = o.onCode;
    const res = alignedCodes(model, inAligned.map((i) => ({ images: list(requests[i].image), instruction: requests[i].instruction })), task, count, gen, { ...o, onCode: onCode ? (e) => onCode({ ...e, row: inAligned[e.row] }) : undefined });
    inAligned.forEach((row, k) => ((codes[row] = res.codes[k]), (reasons[row] = res.complete || res.codes[k].length === count ? 'stop' : 'callback')));
    go = res.complete;
  }
  const inPlain = rowsOf(false);
  if (go && inPlain.length) {
    const res = autoregressiveCodes(model, inPlain.map((i) => requests[i]), task, count, gen, { ...o, onCode: o.onCode ? (e) => o.onCode!({ ...e, row: inPlain[e.row] }) : undefined });
    inPlain.forEach((row, k) => ((codes[row] = res.codes[k]), (reasons[row] = res.finishReasons[k])));
  }
  const done = codes.map((c) => c.length === count);
  const images = done.some(Boolean) ? decodeCodes(model, codes.filter((_, i) => done[i]), grid) : [];
  let k = 0;
  return codes.map((c, i) => ({ image: done[i] ? images[k++] : null, codes: c, finishReason: reasons[i] }));
}

/** The reference's way: left-padded prompts ending with `<start_index>`, decoded with the KV cache under the index-block constraint. */
function autoregressiveCodes(model: HealthGPT, requests: readonly GenerateImageRequest[], task: string, count: number, gen: Generator, o: GenerateImageOptions) {
  const ids = model.config.imageTokens!;
  const proc = model.processor;
  const inputIds = requests.map((r) => proc.promptIds(r.instruction, { images: list(r.image).length, task }));
  const pixelValues = proc.pixelTensor(requests.flatMap((r, i) => list(r.image).map((im, k) => proc.pixels(im, `request ${i} image ${k}`))));
  const emitted = requests.map(() => 0);
  let res;
  try {
    res = model.generate(
      { inputIds, pixelValues, task },
      {
        maxNewTokens: count + 1,
        doSample: o.doSample,
        temperature: o.temperature,
        topK: o.topK,
        topP: o.topP,
        generator: gen,
        stopTokens: [ids.end],
        logitsProcessors: [indexBlockConstraint({ startId: ids.start, endId: ids.end, idRange: { lo: ids.firstCode, hi: ids.firstCode + ids.codebookSize }, count, startedInPrompt: true })],
        onToken: o.onCode
          ? ({ row, token }) => (token === ids.end ? undefined : o.onCode!({ row, index: emitted[row]++, code: token - ids.firstCode }))
          : undefined,
      },
    );
  } finally {
    pixelValues?.dispose();
  }
  return { codes: res.sequences.map((seq) => idsToCodes([ids.start, ...seq], ids)), finishReasons: res.finishReasons };
}

/** Codes (grid² each) → 8-bit RGB images through the VQ decoder, in one batch. */
export function decodeCodes(model: HealthGPT, codes: readonly number[][], grid: number): RawImage[] {
  const vq = model.vq!;
  const x = tf.tidy(() => vq.decode(tf.tensor3d(codes.flat(), [codes.length, grid, grid], 'int32'))); // [B, 3, H, W]
  try {
    return toUint8HWC(x);
  } finally {
    x.dispose();
  }
}

/** One image; see `generateImages`. */
export function generateImage(model: HealthGPT, image: RawImage | readonly RawImage[] | undefined, instruction: string, o: GenerateImageOptions = {}): GeneratedImage {
  return generateImages(model, [{ image, instruction }], o)[0];
}
