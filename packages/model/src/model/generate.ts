import { tf, Generator } from '@healthgpt/tensor-core';
import type { TextTokenizer, LogitsProcessor, SamplingOptions } from '@healthgpt/decoder';
import type { HealthGPT } from './healthgpt.js';
import type { HealthGPTInput } from './inputs.js';
import { splicedLength } from './splice.js';
import { prepareBatch, spliceBatch, checkRoom, type SplicedGroup } from './batch.js';
import { activatePlugin, activePlugin, restorePlugin } from './plugins.js';

/** Sampling as in the decoder's `generate` (`doSample`, `temperature`, `topK`, `topP`, `repetitionPenalty`). */
export interface HealthGPTGenerateOptions extends SamplingOptions {
  /** Default: as many as fit in `max_length` after the longest prompt. */
  maxNewTokens?: number;
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

/**
 * Decode a batch that may mix tasks: its rows spliced and left-padded per task group, each group
 * decoded with the KV cache under its task's plugin, the results put back in batch order.
 */
export function generateBatch(model: HealthGPT, input: Omit<HealthGPTInput, 'labels'>, options: HealthGPTGenerateOptions = {}): HealthGPTGenerateResult {
  const b = prepareBatch(model, input);
  const longest = Math.max(...b.rows.map((r) => splicedLength(r.ids, model.patchesPerImage)));
  const maxNew = options.maxNewTokens ?? Math.max(1, model.config.maxLength - longest);
  checkRoom(model, b.rows, maxNew);
  const gen = options.generator ?? new Generator(options.seed ?? 0);
  const n = b.rows.length;
  const out: HealthGPTGenerateResult = { sequences: new Array(n), finishReasons: new Array(n) };
  const before = activePlugin(model);
  let stopped = false;
  let groups: SplicedGroup[] = [];
  try {
    tf.tidy(() => {
      groups = spliceBatch(model, b, 'left');
      return groups.map((g) => g.embeds);
    });
    for (const g of groups) {
      const res = stopped ? null : decodeGroup(model, g, maxNew, gen, options, () => (stopped = true));
      g.rows.forEach((row, k) => {
        out.sequences[row] = res ? res.sequences[k] : [];
        out.finishReasons[row] = res ? res.finishReasons[k] : 'callback';
        if (options.tokenizer) (out.texts ??= new Array(n))[row] = res?.texts?.[k] ?? '';
      });
    }
  } finally {
    groups.forEach((g) => g.embeds.dispose());
    restorePlugin(model, before);
  }
  return out;
}

/** One task group through the decoder's `generate`, with its plugin active; events carry batch rows. */
function decodeGroup(model: HealthGPT, g: SplicedGroup, maxNew: number, gen: Generator, o: HealthGPTGenerateOptions, stop: () => void) {
  activatePlugin(model, model.config, g.task);
  const padded = g.lengths.some((l) => l !== g.embeds.shape[1]);
  const done = new Array<boolean>(g.rows.length).fill(false);
  const onToken = o.onToken;
  return model.lm.generate({
    inputsEmbeds: g.embeds,
    attentionMask: padded ? g.mask : undefined,
    maxNewTokens: maxNew,
    doSample: o.doSample,
    temperature: o.temperature,
    topK: o.topK,
    topP: o.topP,
    repetitionPenalty: o.repetitionPenalty,
    stopTokens: o.stopTokens,
    generator: gen,
    logitsProcessors: typeof o.logitsProcessors === 'function' ? o.logitsProcessors(g.task) : (o.logitsProcessors ?? []),
    tokenizer: o.tokenizer,
    skipSpecialTokens: o.skipSpecialTokens,
    generationConfig: null,
    onToken: onToken
      ? ({ step, tokens, finished, text }) => {
          let go = true;
          g.rows.forEach((row, k) => {
            if (!done[k] && onToken({ row, step, token: tokens[k], task: g.task, ...(text ? { text: text[k] } : {}) }) === false) go = false;
            done[k] = finished[k];
          });
          if (!go) stop();
          return go;
        }
      : undefined,
  });
}
