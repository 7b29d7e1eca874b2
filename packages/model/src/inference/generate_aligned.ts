import { tf, Generator, type RawImage } from '@healthgpt/tensor-core';
import { argmax, padBatch, sample, samplingProcessors, type SamplingOptions } from '@healthgpt/decoder';
import type { HealthGPT } from '../model/healthgpt.js';
import { ModelError } from '../errors.js';
import { alignedPrompt } from '../processor/aligned.js';

/** One request of aligned generation: its instruction and its input images (at least one; the first one's codes are aligned). */
export interface AlignedRequest {
  images: readonly RawImage[];
  instruction: string;
}

/** How codes are chosen (the sampling options of `generateImages`, checked as `generate` checks them) and streamed. */
export interface AlignedOptions extends Omit<SamplingOptions, 'repetitionPenalty'> {
  /** Return `false` to stop (that code is kept, nothing after it is chosen). */
  onCode?: (e: { row: number; index: number; code: number }) => boolean | void;
}

export interface AlignedResult {
  codes: number[][];
  /** False when `onCode` stopped the batch. */
  complete: boolean;
}

/**
 * Aligned generation (`aligned_generation`): each prompt followed by its first input image's VQ
 * codes, one forward over the right-padded batch, and at the position of input code k the code
 * k of the answer chosen from the logits of the grid's codes (greedy, or sampled with `gen`).
 * Rows are chosen in order, codes in raster order; `onCode` may stop the batch.
 */
export function alignedCodes(model: HealthGPT, requests: readonly AlignedRequest[], task: string, count: number, gen: Generator, o: AlignedOptions = {}): AlignedResult {
  const proc = model.processor;
  const ids = model.config.imageTokens!;
  const prompts = requests.map((r, i) => {
    ModelError.check(r.images.length > 0, 'ARGUMENT', `aligned generation: request ${i} has no input image`);
    const codes = proc.imageCodes(r.images[0]);
    ModelError.check(codes.length === count, 'ARGUMENT', () => `aligned generation: the VQ tokenizer gives ${codes.length} codes per image, the answer needs ${count}`);
    return alignedPrompt(proc.promptIds(r.instruction, { images: r.images.length, task }), ids, codes);
  });
  const { inputIds, attentionMask } = padBatch(prompts, model.config.text.padTokenId ?? 0, 'right');
  const pixelValues = proc.pixelTensor(requests.flatMap((r, i) => r.images.map((im, k) => proc.pixels(im, `request ${i} image ${k}`))));
  let logits: Float32Array;
  try {
    const out = model.forward({ inputIds, attentionMask, pixelValues, task });
    const ends = out.attentionMask.map((row) => row.reduce((a, b) => a + b, 0)); // spliced lengths (right-padded)
    const picked = tf.tidy(() => tf.stack(ends.map((end, b) => out.logits.slice([b, end - count, ids.firstCode], [1, count, ids.codebookSize]).reshape([count, ids.codebookSize]))));
    out.logits.dispose();
    logits = picked.dataSync() as Float32Array; // [B, count, K]
    picked.dispose();
  } finally {
    pixelValues?.dispose();
  }
  const warpers = samplingProcessors(o);
  const k = ids.codebookSize;
  const codes: number[][] = requests.map(() => []);
  for (let b = 0; b < requests.length; b++)
    for (let i = 0; i < count; i++) {
      const row = logits.slice((b * count + i) * k, (b * count + i + 1) * k);
      for (const w of warpers) w.process(row, { row: b, step: i, tokens: [], promptLength: 0 });
      const code = o.doSample ? sample(row, gen) : argmax(row);
      codes[b].push(code);
      if (o.onCode?.({ row: b, index: i, code }) === false) return { codes, complete: false };
    }
  return { codes, complete: true };
}
