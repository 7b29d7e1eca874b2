import { DecoderError } from '../errors.js';
import { restrictTo, type LogitsProcessor, type ProcessorContext } from './processors.js';

/**
 * The ids of a block (HealthGPT: its image tokens, whose strings and ids come from
 * @healthgpt/vq-tokenizer's `imageTokenIds`: `startId: ids.start, endId: ids.end, idRange:
 * { lo: ids.firstCode, hi: ids.firstCode + ids.codebookSize }`).
 */
export interface IndexBlockOptions {
  /** Id of the token that opens a block. */
  startId: number;
  /** Id of the token that closes it. */
  endId: number;
  /** The ids allowed inside the block, [lo, hi) (the image-code tokens). */
  idRange: { lo: number; hi: number };
  /** Exactly this many image tokens between start and end (HealthGPT: 32·32 = 1024). */
  count: number;
  /** Force the start token as the first new token when the row has not opened a block (default false). */
  forceStart?: boolean;
  /** The block was opened in the prompt, but the prompt came as embeddings (ids unknown). Default false. */
  startedInPrompt?: boolean;
  /** Outside a block, forbid the block's id range and the end token (default true). */
  forbidOutside?: boolean;
}

/**
 * Constrained decoding of an image block: after the start token the row may emit only ids from
 * the block's range, exactly `count` of them, then must emit the end token. (The reference lets the
 * model emit anything there and crashes unless exactly 1024 indices come out.)
 */
export function indexBlockConstraint(o: IndexBlockOptions): LogitsProcessor {
  for (const [k, v] of [['startId', o.startId], ['endId', o.endId], ['idRange.lo', o.idRange?.lo], ['idRange.hi', o.idRange?.hi]] as const)
    DecoderError.check(Number.isInteger(v) && (v as number) >= 0, 'ARGUMENT', () => `'${k}' passed to 'indexBlockConstraint' must be a non-negative integer id, got ${v}`);
  DecoderError.check(Number.isInteger(o.count) && o.count > 0, 'ARGUMENT', `'count' passed to 'indexBlockConstraint' must be a positive integer, got ${o.count}`);
  DecoderError.check(o.idRange.lo < o.idRange.hi, 'ARGUMENT', `'idRange' passed to 'indexBlockConstraint' must be non-empty, got [${o.idRange.lo}, ${o.idRange.hi})`);
  const inRange = (id: number) => id >= o.idRange.lo && id < o.idRange.hi;
  DecoderError.check(!inRange(o.startId) && !inRange(o.endId), 'ARGUMENT', `'startId' and 'endId' passed to 'indexBlockConstraint' must lie outside 'idRange'`);
  /** Image tokens emitted since the open block's start, or null when no block is open. */
  const openBlock = ({ tokens, promptLength }: ProcessorContext): number | null => {
    const s = tokens.lastIndexOf(o.startId);
    const e = tokens.lastIndexOf(o.endId);
    if (s >= 0 && s > e) return tokens.length - 1 - s;
    if (s < 0 && e < 0 && o.startedInPrompt) return tokens.length - promptLength;
    return null;
  };
  return {
    name: 'indexBlockConstraint',
    process(logits, ctx) {
      const n = openBlock(ctx);
      if (n !== null) {
        if (n < o.count) restrictTo(logits, o.idRange);
        else restrictTo(logits, [o.endId]);
        return;
      }
      if (o.forceStart && ctx.step === 0) return restrictTo(logits, [o.startId]);
      if (o.forbidOutside ?? true) {
        logits.fill(-Infinity, Math.max(0, o.idRange.lo), Math.min(logits.length, o.idRange.hi));
        if (o.endId < logits.length) logits[o.endId] = -Infinity;
      }
    },
  };
}
