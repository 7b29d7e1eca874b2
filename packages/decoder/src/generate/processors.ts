import { DecoderError } from '../errors.js';

/** What a logits processor sees for one row at one step. */
export interface ProcessorContext {
  /** Row index in the batch. */
  row: number;
  /** Decoding step (0 = the token after the prompt). */
  step: number;
  /** The row's prompt ids when known (empty when the prompt came as embeddings), then its new tokens. */
  tokens: readonly number[];
  /** How many of `tokens` are prompt ids. */
  promptLength: number;
}

/**
 * Edits one row's next-token logits in place (set −Infinity to forbid a token). Processors are
 * applied in order, so they compose: constraints first, then penalties, then warpers.
 */
export interface LogitsProcessor {
  readonly name: string;
  process(logits: Float32Array, ctx: ProcessorContext): void;
}

/** Forbid every id outside `allowed` (a list, or a half-open range [lo, hi)). */
export function restrictTo(logits: Float32Array, allowed: readonly number[] | { lo: number; hi: number }): void {
  if ('lo' in allowed) {
    logits.fill(-Infinity, 0, Math.max(0, allowed.lo));
    logits.fill(-Infinity, Math.min(logits.length, allowed.hi));
    return;
  }
  const keep = new Map<number, number>();
  for (const id of allowed) if (id >= 0 && id < logits.length) keep.set(id, logits[id]);
  logits.fill(-Infinity);
  for (const [id, v] of keep) logits[id] = v;
}

/** HF's repetition penalty: each id already in the row's tokens gets score/p (score > 0) or score·p. */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  DecoderError.check(penalty > 0, 'ARGUMENT', `'repetitionPenalty' must be positive, got ${penalty}`);
  return {
    name: 'repetitionPenalty',
    process(logits, { tokens }) {
      for (const id of new Set(tokens)) {
        if (id < 0 || id >= logits.length) continue;
        const s = logits[id];
        logits[id] = s < 0 ? s * penalty : s / penalty;
      }
    },
  };
}

/** Divide the logits by `t` (> 0). */
export function temperature(t: number): LogitsProcessor {
  DecoderError.check(t > 0 && Number.isFinite(t), 'ARGUMENT', `'temperature' must be a positive number, got ${t}`);
  return {
    name: 'temperature',
    process(logits) {
      if (t !== 1) for (let i = 0; i < logits.length; i++) logits[i] /= t;
    },
  };
}

/** Keep the k largest logits (ties at the k-th value kept, as HF). */
export function topK(k: number): LogitsProcessor {
  DecoderError.check(Number.isInteger(k) && k > 0, 'ARGUMENT', `'topK' must be a positive integer, got ${k}`);
  return {
    name: 'topK',
    process(logits) {
      if (k >= logits.length) return;
      const kth = Float32Array.from(logits).sort().reverse()[k - 1];
      for (let i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = -Infinity;
    },
  };
}

/** Nucleus filtering: keep the smallest set of top tokens whose probability mass reaches p (at least one). */
export function topP(p: number): LogitsProcessor {
  DecoderError.check(p > 0 && p <= 1, 'ARGUMENT', `'topP' must be in (0, 1], got ${p}`);
  return {
    name: 'topP',
    process(logits) {
      if (p >= 1) return;
      const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
      const probs = softmax(logits);
      let mass = 0;
      let cut = order.length;
      for (let r = 0; r < order.length; r++) {
        mass += probs[order[r]];
        if (mass >= p) {
          cut = r + 1;
          break;
        }
      }
      for (let r = cut; r < order.length; r++) logits[order[r]] = -Infinity;
    },
  };
}

/** Numerically stable softmax of a row (−Infinity → 0). */
export function softmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** A processor from a function that returns the allowed ids for a row (or null for no constraint). */
export function allowedTokens(name: string, allowed: (ctx: ProcessorContext) => readonly number[] | { lo: number; hi: number } | null): LogitsProcessor {
  return {
    name,
    process(logits, ctx) {
      const a = allowed(ctx);
      if (a) restrictTo(logits, a);
    },
  };
}

/** Apply processors in order. */
export function composeProcessors(...ps: LogitsProcessor[]): LogitsProcessor {
  return { name: ps.map((p) => p.name).join('+'), process: (logits, ctx) => ps.forEach((p) => p.process(logits, ctx)) };
}
