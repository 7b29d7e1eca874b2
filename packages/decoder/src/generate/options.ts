import { Generator, type Tensor } from '@healthgpt/tensor-core';
import { DecoderError } from '../errors.js';
import type { DecoderConfig } from '../model/config.js';
import type { TextTokenizer } from '../tokenizer/tokenizer.js';
import { checkTokenId } from '../tokenizer/padding.js';
import type { GenerationConfig } from './generation_config.js';
import { repetitionPenalty, temperature, topK, topP, type LogitsProcessor } from './processors.js';

export interface TokenEvent {
  step: number;
  /** The token chosen for each row at this step (the pad id for rows already finished). */
  tokens: number[];
  finished: boolean[];
  /** With a `tokenizer`: the text each row added at this step ('' while a character is incomplete). */
  text?: string[];
}

/** A stop token: an id, or (with a `tokenizer`) a token string such as `'<|end|>'`. */
export type StopToken = number | string;

/** How the next token is chosen: HF `generate`'s sampling settings, shared by every `generate`. */
export interface SamplingOptions {
  /** Sample instead of greedy argmax (default: the generation config's `do_sample`, else false). */
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  /** HF repetition penalty (1 = off), over the prompt ids (when known) and the new tokens. */
  repetitionPenalty?: number;
}

/** The options of `generate`; the README maps each to its HF `generate` name. */
export interface GenerateOptions extends SamplingOptions {
  /** Prompts as id lists (ragged; left-padded here), or an int32 [B, T] tensor with `attentionMask`. */
  inputIds?: readonly (readonly number[])[] | Tensor;
  /** The prompt as embeddings [B, T, hidden] (e.g. with image features spliced in). */
  inputsEmbeds?: Tensor;
  /** [B, T] (1 = token, 0 = left padding) for tensor inputs. */
  attentionMask?: number[][] | Tensor;
  /** Default: the generation config's `max_new_tokens`, else 20. */
  maxNewTokens?: number;
  /**
   * Ids (or token strings, resolved with `tokenizer`) that finish a row. Default: the generation
   * config's `eos_token_id`, else config.json's. Pass [] to always run `maxNewTokens`.
   */
  stopTokens?: StopToken | readonly StopToken[];
  /** Fed to finished rows and used to left-pad (default: the generation config's, config.json's, else 0). */
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
  /** Decode the new tokens: the result has `texts` and each event `text`. */
  tokenizer?: TextTokenizer;
  /** Leave special tokens out of the decoded text (default true, as HF pipelines do). */
  skipSpecialTokens?: boolean;
  /** HF generation settings (`generation_config.json`); default: the model's `generationConfig`. Explicit options win. */
  generationConfig?: GenerationConfig | null;
}

export interface GenerateResult {
  /** New tokens per row, up to and including its stop token. */
  sequences: number[][];
  finishReasons: ('stop' | 'length' | 'callback')[];
  /** With a `tokenizer`: each row's new tokens decoded (the stop token left out). */
  texts?: string[];
  /** With `returnLogits`: raw logits per step, [B·V] row-major. */
  logits?: Float32Array[];
}

/** Settings of one `generate` call after defaults, checked. */
export interface ResolvedGeneration {
  maxNew: number;
  padId: number;
  stop: Set<number>;
  doSample: boolean;
  processors: LogitsProcessor[];
  gen: Generator;
  tokenizer: TextTokenizer | null;
  skipSpecialTokens: boolean;
}

function stopIds(o: GenerateOptions, gc: GenerationConfig | null, cfg: DecoderConfig): Set<number> {
  if (o.stopTokens === undefined) return new Set(gc && gc.eosTokenIds.length ? gc.eosTokenIds : cfg.eosTokenIds);
  const list: readonly unknown[] = Array.isArray(o.stopTokens) ? o.stopTokens : [o.stopTokens];
  return new Set(
    list.map((s, i) => {
      if (typeof s !== 'string') {
        checkTokenId(s, cfg.vocabSize, `stopTokens[${i}]`, 'generate');
        return s;
      }
      DecoderError.check(o.tokenizer !== undefined, 'ARGUMENT', () => `'stopTokens[${i}]' passed to 'generate' is the string ${JSON.stringify(s)}: pass 'tokenizer' to resolve it to an id, or pass the id`);
      const id = o.tokenizer.tokenToId(s);
      DecoderError.check(id !== undefined, 'ARGUMENT', () => `'stopTokens[${i}]' passed to 'generate' (${JSON.stringify(s)}) is not a token of the tokenizer; stop strings of several tokens are not supported, pass single tokens or ids`);
      checkTokenId(id, cfg.vocabSize, `stopTokens[${i}] (${JSON.stringify(s)})`, 'generate');
      return id;
    }),
  );
}

/**
 * The sampling warpers of a call, in HF's order (temperature, top-k, top-p); none without
 * sampling (`doSample`, else the generation config's `do_sample`, else off). Explicit options win;
 * a generation config is read with HF's defaults for what it leaves out (top_k 50, where 0 = off),
 * while an explicit `topK` must be a positive integer. Callers that choose tokens themselves (e.g.
 * over a slice of the vocabulary) get the same settings and checks as `generate`.
 */
export function samplingProcessors(o: Omit<SamplingOptions, 'repetitionPenalty'>, gc: GenerationConfig | null = null): LogitsProcessor[] {
  if (!(o.doSample ?? gc?.doSample ?? false)) return [];
  const t = o.temperature ?? gc?.temperature;
  const k = o.topK ?? (gc ? (gc.topK ?? 50) : undefined);
  const p = o.topP ?? gc?.topP;
  return [...(t !== undefined ? [temperature(t)] : []), ...(k !== undefined && (o.topK !== undefined || k > 0) ? [topK(k)] : []), ...(p !== undefined ? [topP(p)] : [])];
}

/** Defaults (explicit option → generation config → config.json → built-in) and argument checks. */
export function resolveGeneration(o: GenerateOptions, cfg: DecoderConfig, modelGc: GenerationConfig | null): ResolvedGeneration {
  const gc = o.generationConfig === undefined ? modelGc : o.generationConfig;
  const maxNew = o.maxNewTokens ?? gc?.maxNewTokens ?? 20;
  DecoderError.check(Number.isInteger(maxNew) && maxNew > 0, 'ARGUMENT', `'maxNewTokens' passed to 'generate' must be a positive integer, got ${maxNew}`);
  const padId = o.padTokenId ?? gc?.padTokenId ?? cfg.padTokenId ?? 0;
  checkTokenId(padId, cfg.vocabSize, o.padTokenId !== undefined ? 'padTokenId' : 'padTokenId (from the config pad_token_id)', 'generate');
  const doSample = o.doSample ?? gc?.doSample ?? false;
  const processors = [...(o.logitsProcessors ?? [])];
  const penalty = o.repetitionPenalty ?? gc?.repetitionPenalty;
  if (penalty !== undefined && penalty !== 1) processors.push(repetitionPenalty(penalty));
  processors.push(...samplingProcessors(o, gc));
  return {
    maxNew,
    padId,
    stop: stopIds(o, gc, cfg),
    doSample,
    processors,
    gen: o.generator ?? new Generator(o.seed ?? 0),
    tokenizer: o.tokenizer ?? null,
    skipSpecialTokens: o.skipSpecialTokens ?? true,
  };
}
