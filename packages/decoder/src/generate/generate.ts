import { tf, Generator, type Tensor } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import type { DecoderLM } from '../model/decoder_lm.js';
import { disposeCache, type PastKeyValues } from '../model/types.js';
import { repetitionPenalty, temperature, topK, topP, type LogitsProcessor } from './processors.js';
import { argmax, leftPad, sample } from './sampling.js';

export interface TokenEvent {
  step: number;
  /** The token chosen for each row at this step (the pad id for rows already finished). */
  tokens: number[];
  finished: boolean[];
}

export interface GenerateOptions {
  /** Prompts as id lists (ragged; left-padded here), or an int32 [B, T] tensor with `attentionMask`. */
  inputIds?: readonly (readonly number[])[] | Tensor;
  /** The prompt as embeddings [B, T, hidden] (e.g. with image features spliced in). */
  inputsEmbeds?: Tensor;
  /** [B, T] (1 = token, 0 = left padding) for tensor inputs. */
  attentionMask?: number[][] | Tensor;
  /** Default 20. */
  maxNewTokens?: number;
  /** Sample instead of greedy argmax (default false). */
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  /** HF repetition penalty (1 = off), over the prompt ids (when known) and the new tokens. */
  repetitionPenalty?: number;
  /** Ids that finish a row (default: the config's eos ids). Pass [] to always run `maxNewTokens`. */
  stopTokens?: number[];
  /** Fed to finished rows (default: config pad id, else 0). */
  padTokenId?: number;
  /** Seed of the sampler (default 0), or a generator. */
  seed?: number;
  generator?: Generator;
  /** Applied before the sampling warpers, in order (constraints, custom rules). */
  logitsProcessors?: LogitsProcessor[];
  /** Called after every step; return `false` to stop. */
  onToken?: (e: TokenEvent) => void | boolean;
  /** Keep each step's raw logits ([B·V] per step) in the result. */
  returnLogits?: boolean;
  /** Re-run the whole sequence every step instead of using the KV cache (for checking; ids only). */
  useCache?: boolean;
}

export interface GenerateResult {
  /** New tokens per row, up to and including its stop token. */
  sequences: number[][];
  finishReasons: ('stop' | 'length' | 'callback')[];
  /** With `returnLogits`: raw logits per step, [B·V] row-major. */
  logits?: Float32Array[];
}

interface Prompt {
  ids: Tensor | number[][] | null;
  embeds: Tensor | null;
  mask: number[][] | null;
  promptIds: number[][];
  b: number;
}

function preparePrompt(model: DecoderLM, o: GenerateOptions, padId: number): Prompt {
  DecoderError.check((o.inputIds === undefined) !== (o.inputsEmbeds === undefined), 'ARGUMENT', `'generate': pass exactly one of 'inputIds' and 'inputsEmbeds'`);
  const m = o.attentionMask instanceof tf.Tensor ? (o.attentionMask.arraySync() as number[][]) : (o.attentionMask ?? null);
  if (o.inputsEmbeds) {
    const b = o.inputsEmbeds.shape[0];
    return { ids: null, embeds: o.inputsEmbeds, mask: m, promptIds: Array.from({ length: b }, () => []), b };
  }
  if (o.inputIds instanceof tf.Tensor) {
    const arr = o.inputIds.arraySync() as number[][];
    const promptIds = arr.map((r, i) => (m ? r.filter((_, j) => m[i][j] !== 0) : r));
    return { ids: o.inputIds, embeds: null, mask: m, promptIds, b: arr.length };
  }
  const prompts = o.inputIds!;
  DecoderError.check(prompts.length > 0 && prompts.every((p) => p.length > 0), 'ARGUMENT', `'inputIds' passed to 'generate' must be non-empty id lists`);
  DecoderError.check(!m, 'ARGUMENT', `'generate': 'attentionMask' goes with tensor inputs; id lists are left-padded here`);
  const { ids, mask } = leftPad(prompts, padId);
  const padded = prompts.some((p) => p.length !== ids[0].length);
  return { ids, embeds: null, mask: padded ? mask : null, promptIds: prompts.map((p) => [...p]), b: prompts.length };
}

function warpers(o: GenerateOptions): LogitsProcessor[] {
  const ps: LogitsProcessor[] = [];
  if (o.repetitionPenalty !== undefined && o.repetitionPenalty !== 1) ps.push(repetitionPenalty(o.repetitionPenalty));
  if (!o.doSample) return ps;
  if (o.temperature !== undefined) ps.push(temperature(o.temperature));
  if (o.topK !== undefined) ps.push(topK(o.topK));
  if (o.topP !== undefined) ps.push(topP(o.topP));
  return ps;
}

/**
 * Autoregressive generation with the KV cache: one prefill, then one token per step for every
 * row. Left-padded batches decode like each row alone. Greedy unless `doSample`.
 */
export function generate(model: DecoderLM, o: GenerateOptions): GenerateResult {
  const cfg = model.config;
  const maxNew = o.maxNewTokens ?? 20;
  DecoderError.check(Number.isInteger(maxNew) && maxNew > 0, 'ARGUMENT', `'maxNewTokens' passed to 'generate' must be a positive integer, got ${maxNew}`);
  const padId = o.padTokenId ?? cfg.padTokenId ?? 0;
  const stop = new Set(o.stopTokens ?? cfg.eosTokenIds);
  const procs = [...(o.logitsProcessors ?? []), ...warpers(o)];
  const gen = o.generator ?? new Generator(o.seed ?? 0);
  const p = preparePrompt(model, o, padId);
  DecoderError.check(!(o.useCache === false && p.embeds), 'ARGUMENT', `'generate': 'useCache: false' needs 'inputIds'`);
  const out: GenerateResult = { sequences: Array.from({ length: p.b }, () => []), finishReasons: new Array(p.b).fill('length') };
  if (o.returnLogits) out.logits = [];
  const finished = new Array<boolean>(p.b).fill(false);
  let mask = p.mask;
  let cache: PastKeyValues | undefined;
  let allIds = p.ids instanceof tf.Tensor ? (p.ids.arraySync() as number[][]) : p.ids;
  try {
    let step = (p.embeds ? model.forward({ inputsEmbeds: p.embeds, attentionMask: mask ?? undefined, lastOnly: true }) : model.forward({ inputIds: p.ids!, attentionMask: mask ?? undefined, lastOnly: true, useCache: o.useCache !== false }));
    for (let s = 0; ; s++) {
      const logits = step.logits.dataSync() as Float32Array; // [B, 1, V]
      step.logits.dispose();
      disposeCache(cache);
      cache = step.pastKeyValues;
      if (out.logits) out.logits.push(Float32Array.from(logits));
      const v = cfg.vocabSize;
      const tokens = Array.from({ length: p.b }, (_, r) => {
        if (finished[r]) return padId;
        const row = logits.slice(r * v, (r + 1) * v);
        const ctx = { row: r, step: s, tokens: [...p.promptIds[r], ...out.sequences[r]], promptLength: p.promptIds[r].length };
        for (const pr of procs) pr.process(row, ctx);
        if (row.every((x) => x === -Infinity)) throw new DecoderError('GENERATE', `generate: every token of row ${r} was forbidden at step ${s} by the logits processors`);
        return o.doSample ? sample(row, gen) : argmax(row);
      });
      tokens.forEach((t, r) => {
        if (finished[r]) return;
        out.sequences[r].push(t);
        if (stop.has(t)) [finished[r], out.finishReasons[r]] = [true, 'stop'];
      });
      const cont = o.onToken?.({ step: s, tokens, finished: [...finished] });
      if (cont === false) {
        finished.forEach((f, r) => f || (out.finishReasons[r] = 'callback'));
        break;
      }
      if (finished.every(Boolean) || s + 1 >= maxNew) break;
      if (mask) mask = mask.map((row) => [...row, 1]);
      if (o.useCache === false) {
        allIds = allIds!.map((row, r) => [...row, tokens[r]]);
        step = model.forward({ inputIds: allIds, attentionMask: mask ?? undefined, lastOnly: true, useCache: false });
      } else {
        step = model.forward({ inputIds: tokens.map((t) => [t]), attentionMask: mask ?? undefined, pastKeyValues: cache, lastOnly: true });
      }
    }
  } finally {
    disposeCache(cache);
  }
  return out;
}
