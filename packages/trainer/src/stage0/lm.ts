import { tf } from '@healthgpt/tensor-core';
import type { DecoderLM, TextTokenizer } from '@healthgpt/decoder';
import type { Task } from '../loop/task.js';
import { TrainerError } from '../errors.js';

/**
 * Pack documents into fixed-length training sequences: each document's ids (without special
 * tokens) followed by eos, concatenated, cut into rows of `length` (the tail is dropped).
 */
export function packDocuments(tokenizer: TextTokenizer, docs: readonly string[], length: number): number[][] {
  const eos = tokenizer.eosTokenId;
  TrainerError.check(eos !== null, 'ARGUMENT', `the tokenizer has no eos token to separate documents`);
  const stream: number[] = [];
  for (const d of docs) stream.push(...tokenizer.encode(d, { addSpecialTokens: false }), eos);
  const rows: number[][] = [];
  for (let i = 0; i + length <= stream.length; i += length) rows.push(stream.slice(i, i + length));
  TrainerError.check(rows.length > 0, 'DATA', () => `the documents hold ${stream.length} tokens, fewer than one sequence of ${length}`);
  return rows;
}

/** Stage 0, step 2: causal language modelling of packed sequences with the decoder alone. */
export function languageModelTask(decoder: DecoderLM, rows: readonly number[][], name = 'text'): Task<number[], number[][]> {
  return {
    name,
    items: rows,
    collate: (batch) => batch,
    loss: (ids) => {
      const out = decoder.forward({ inputIds: ids, labels: ids, useCache: false });
      out.logits.dispose();
      return out.loss!;
    },
    tokens: (ids) => ids.length * ids[0].length,
  };
}

/** Perplexity exp(mean next-token cross-entropy) of the decoder over `rows` (eval mode, batches of `batchSize`). */
export function perplexity(decoder: DecoderLM, rows: readonly number[][], batchSize = 16): number {
  let total = 0;
  let n = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const ids = rows.slice(i, i + batchSize);
    const out = decoder.forward({ inputIds: ids, labels: ids, useCache: false });
    const targets = ids.length * (ids[0].length - 1);
    total += out.loss!.dataSync()[0] * targets;
    n += targets;
    tf.dispose([out.logits, out.loss!]);
  }
  return Math.exp(total / n);
}
