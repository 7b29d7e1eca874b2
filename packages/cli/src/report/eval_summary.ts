import type { ComprehensionRowLike, GenerationRowLike } from './types.js';

/** Accuracies keyed as scripts read them: `closed_accuracy`, `open_accuracy`, `all_accuracy`, `open_recall`, … */
export type AccuracyKeys = Record<string, number>;

/** The flat keys of one VQA answer type's row: `<type>_accuracy` (and `<type>_recall`), `<type>_n`. */
function keysOf(r: ComprehensionRowLike, pick: (r: ComprehensionRowLike) => { accuracy?: number; recall?: number }): AccuracyKeys {
  const t = r.answerType.toLowerCase();
  const v = pick(r);
  const out: AccuracyKeys = {};
  if (v.accuracy !== undefined) out[`${t}_accuracy`] = v.accuracy;
  if (v.recall !== undefined) out[`${t}_recall`] = v.recall;
  return out;
}

/**
 * What `healthgpt eval --json FILE` writes: the VQA accuracies per answer type as flat keys
 * (`closed_accuracy`, `open_accuracy`, `all_accuracy`, `open_recall`, `closed_n`, …; a split with one
 * answer type has `all_accuracy` equal to it), the same keys for every baseline, and the full tables.
 */
export function evalSummary(o: { dataset: string; split: string; model: string; comprehension: ComprehensionRowLike[]; generation: GenerationRowLike[]; baselinesFrom: string; seconds: number; n: number }): Record<string, unknown> {
  const vqa = o.comprehension.filter((r) => r.accuracy !== undefined && r.answerType !== 'TEXT');
  const flat: AccuracyKeys = {};
  const baselines: Record<string, AccuracyKeys> = {};
  for (const r of vqa) {
    Object.assign(flat, keysOf(r, (x) => x), { [`${r.answerType.toLowerCase()}_n`]: r.n });
    for (const b of Object.keys(r.baselines)) Object.assign((baselines[b] ??= {}), keysOf(r, (x) => x.baselines[b] ?? {}));
  }
  const types = new Set(vqa.map((r) => r.answerType));
  if (!types.has('ALL') && vqa.length === 1) {
    flat.all_accuracy = vqa[0].accuracy!;
    flat.all_n = vqa[0].n;
    for (const b of Object.keys(baselines)) if (vqa[0].baselines[b]?.accuracy !== undefined) baselines[b].all_accuracy = vqa[0].baselines[b].accuracy!;
  }
  return { dataset: o.dataset, split: o.split, model: o.model, n: o.n, ...flat, baselines, baselines_from: o.baselinesFrom, comprehension: o.comprehension, generation: o.generation, seconds: o.seconds };
}
