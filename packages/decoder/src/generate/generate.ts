import { tf, KVCache, type Tensor } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import type { DecoderLM } from '../model/decoder_lm.js';
import { disposeCache, type PastKeyValues } from '../model/types.js';
import type { ForwardOutput } from '../model/forward_input.js';
import { padBatch } from '../tokenizer/padding.js';
import { resolveGeneration, type GenerateOptions, type GenerateResult, type ResolvedGeneration } from './options.js';
import { argmax, sample } from './sampling.js';
import { RowText } from './text_stream.js';

export type { GenerateOptions, SamplingOptions, GenerateResult, TokenEvent, StopToken } from './options.js';
export { samplingProcessors } from './options.js';

interface Prompt {
  ids: Tensor | number[][] | null;
  embeds: Tensor | null;
  mask: number[][] | null;
  promptIds: number[][];
  b: number;
}

function preparePrompt(o: GenerateOptions, padId: number): Prompt {
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
  DecoderError.check(Array.isArray(prompts) && prompts.length > 0 && prompts.every((p) => Array.isArray(p) && p.length > 0), 'ARGUMENT', `'inputIds' passed to 'generate' must be non-empty id lists`);
  DecoderError.check(!m, 'ARGUMENT', `'generate': 'attentionMask' goes with tensor inputs; id lists are left-padded here`);
  const { inputIds, attentionMask } = padBatch(prompts, padId, 'left');
  const padded = prompts.some((p) => p.length !== inputIds[0].length);
  return { ids: inputIds, embeds: null, mask: padded ? attentionMask : null, promptIds: prompts.map((p) => [...p]), b: prompts.length };
}

/** Throw unless every logit is a number below +Infinity (−Infinity = forbidden is fine). */
function checkLogits(row: Float32Array, r: number, s: number, what: string): void {
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (Number.isNaN(v) || v === Infinity) throw new DecoderError('GENERATE', `generate: ${what} for row ${r} at step ${s} hold ${v} (token ${i}); refusing to pick a token from them`, { record: r });
  }
}

/** Pick each row's next token: processors, then argmax or a draw. Finished rows get the pad id. */
function pickTokens(logits: Float32Array, s: number, p: Prompt, out: GenerateResult, finished: boolean[], g: ResolvedGeneration, v: number): number[] {
  return Array.from({ length: p.b }, (_, r) => {
    if (finished[r]) return g.padId;
    const row = logits.slice(r * v, (r + 1) * v);
    checkLogits(row, r, s, "the model's logits");
    const ctx = { row: r, step: s, tokens: [...p.promptIds[r], ...out.sequences[r]], promptLength: p.promptIds[r].length };
    for (const pr of g.processors) pr.process(row, ctx);
    checkLogits(row, r, s, 'the logits after the processors');
    if (row.every((x) => x === -Infinity)) throw new DecoderError('GENERATE', `generate: every token of row ${r} was forbidden at step ${s} by the logits processors`, { record: r });
    return g.doSample ? sample(row, g.gen) : argmax(row);
  });
}

/**
 * Autoregressive generation with the KV cache: one prefill, then one token per step for every
 * row. Left-padded batches decode like each row alone. Greedy unless `doSample`. With a
 * `tokenizer`, the new tokens come back decoded as well (`texts`, and `text` in each event).
 */
export function generate(model: DecoderLM, o: GenerateOptions): GenerateResult {
  const cfg = model.config;
  const g = resolveGeneration(o, cfg, model.generationConfig);
  const p = preparePrompt(o, g.padId);
  DecoderError.check(!(o.useCache === false && p.embeds), 'ARGUMENT', `'generate': 'useCache: false' needs 'inputIds'`);
  const out: GenerateResult = { sequences: Array.from({ length: p.b }, () => []), finishReasons: new Array(p.b).fill('length') };
  if (o.returnLogits) out.logits = [];
  const texts = g.tokenizer ? Array.from({ length: p.b }, () => new RowText(g.tokenizer!, g.skipSpecialTokens)) : null;
  /** A row's new tokens without its stop token: what its text decodes. */
  const body = (r: number) => (out.finishReasons[r] === 'stop' ? out.sequences[r].slice(0, -1) : out.sequences[r]);
  const finished = new Array<boolean>(p.b).fill(false);
  let mask = p.mask;
  let cache: PastKeyValues | KVCache | undefined;
  let allIds = p.ids instanceof tf.Tensor ? (p.ids.arraySync() as number[][]) : p.ids;
  try {
    // One preallocated cache for the prompt and every new token: each step writes its keys and
    // values in place (no concatenation) and attends straight from it.
    const promptLength = p.embeds ? p.embeds.shape[1]! : p.ids instanceof tf.Tensor ? p.ids.shape[1]! : p.ids![0].length;
    const kv = o.useCache === false ? undefined : new KVCache({ layers: cfg.numLayers, batch: p.b, kvHeads: cfg.numKvHeads, headDim: cfg.headDim, capacity: promptLength + g.maxNew });
    let step: ForwardOutput<PastKeyValues | KVCache> = p.embeds ? model.forward({ inputsEmbeds: p.embeds, attentionMask: mask ?? undefined, lastOnly: true, pastKeyValues: kv }) : model.forward({ inputIds: p.ids!, attentionMask: mask ?? undefined, lastOnly: true, useCache: o.useCache !== false, pastKeyValues: kv });
    for (let s = 0; ; s++) {
      const logits = step.logits.dataSync() as Float32Array; // [B, 1, V]
      step.logits.dispose();
      disposeCache(cache);
      cache = step.pastKeyValues;
      if (out.logits) out.logits.push(Float32Array.from(logits));
      const tokens = pickTokens(logits, s, p, out, finished, g, cfg.vocabSize);
      const wasFinished = [...finished];
      tokens.forEach((t, r) => {
        if (finished[r]) return;
        out.sequences[r].push(t);
        if (g.stop.has(t)) [finished[r], out.finishReasons[r]] = [true, 'stop'];
      });
      const last = finished.every(Boolean) || s + 1 >= g.maxNew;
      const text = texts?.map((rt, r) => (wasFinished[r] ? '' : rt.delta(body(r), last || finished[r])));
      const cont = o.onToken?.({ step: s, tokens, finished: [...finished], ...(text ? { text } : {}) });
      if (cont === false) {
        finished.forEach((f, r) => f || (out.finishReasons[r] = 'callback'));
        break;
      }
      if (last) break;
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
  if (texts) out.texts = texts.map((rt, r) => rt.text(body(r)));
  return out;
}
