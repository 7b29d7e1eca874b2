import type { RawImage } from '@healthgpt/tensor-core';
import type { SamplingOptions } from '@healthgpt/decoder';
import type { HealthGPT } from '../model/healthgpt.js';
import { ModelError } from '../errors.js';

/** One question about zero or more images. */
export interface ComprehendRequest {
  images: RawImage | readonly RawImage[];
  question: string;
}

/** Sampling as in the decoder's `generate` (`doSample`, `temperature`, `topK`, `topP`, `repetitionPenalty`). */
export interface ComprehendOptions extends SamplingOptions {
  /** A text task (default: the model's first one, `comprehension`). */
  task?: string;
  /** Default: whatever fits in `max_length`, so an answer ends only at a stop token. */
  maxNewTokens?: number;
  /** Seed of the sampler: the same seed, the same answer. */
  seed?: number;
  /** Streams the decoded answer: `delta` is the new text, `text` all of it so far. Return `false` to stop. */
  onText?: (e: { row: number; delta: string; text: string }) => void | boolean;
}

export interface ComprehendResult {
  /** The decoded answer, whole (special tokens and the stop token dropped). */
  text: string;
  /** The generated ids, the stop token included when there was one. */
  ids: number[];
  finishReason: 'stop' | 'length' | 'callback';
}

/** The first task that outputs `kind` (or the one named, checked). */
export function pickTask(model: HealthGPT, kind: 'text' | 'image', name?: string): string {
  const task = name ?? model.tasks.find((t) => model.task(t).output === kind);
  ModelError.check(task !== undefined, 'UNKNOWN_TASK', `this model has no ${kind} task (tasks: ${model.tasks.join(', ')})`);
  ModelError.check(model.task(task).output === kind, 'ARGUMENT', () => `task '${task}' outputs ${model.task(task).output}, not ${kind}`, { key: task });
  return task;
}

const list = (x: RawImage | readonly RawImage[]): readonly RawImage[] => (Array.isArray(x) ? (x as readonly RawImage[]) : [x as RawImage]);

/** Answer several questions in one left-padded batch; see `HealthGPT.comprehend`. */
export function comprehendBatch(model: HealthGPT, requests: readonly ComprehendRequest[], o: ComprehendOptions = {}): ComprehendResult[] {
  ModelError.check(requests.length > 0, 'ARGUMENT', `'comprehend' needs at least one request`);
  const proc = model.processor;
  const task = pickTask(model, 'text', o.task);
  const inputIds = requests.map((r) => proc.promptIds(r.question, { images: list(r.images).length, task }));
  const pixelValues = proc.pixelTensor(requests.flatMap((r, i) => list(r.images).map((im, k) => proc.pixels(im, `request ${i} image ${k}`))));
  try {
    const res = model.generate(
      { inputIds, pixelValues, task },
      {
        maxNewTokens: o.maxNewTokens,
        doSample: o.doSample,
        temperature: o.temperature,
        topK: o.topK,
        topP: o.topP,
        repetitionPenalty: o.repetitionPenalty,
        seed: o.seed,
        stopTokens: proc.stopTokenIds(),
        tokenizer: proc.tokenizer,
        skipSpecialTokens: true,
        onToken: o.onText ? onText(o.onText) : undefined,
      },
    );
    return res.sequences.map((ids, i) => ({ text: res.texts![i], ids, finishReason: res.finishReasons[i] }));
  } finally {
    pixelValues?.dispose();
  }
}

/** Adapts the decoder's per-step text deltas into `onText` events with the text so far. */
function onText(cb: NonNullable<ComprehendOptions['onText']>) {
  const sofar = new Map<number, string>();
  return ({ row, text }: { row: number; text?: string }) => {
    if (!text) return;
    const all = (sofar.get(row) ?? '') + text;
    sofar.set(row, all);
    return cb({ row, delta: text, text: all });
  };
}

/** One answer's text. */
export function comprehend(model: HealthGPT, images: RawImage | readonly RawImage[], question: string, o: ComprehendOptions = {}): string {
  return comprehendBatch(model, [{ images, question }], o)[0].text;
}

