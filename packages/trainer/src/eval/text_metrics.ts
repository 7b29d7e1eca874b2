/**
 * Text metrics of medical VQA and report generation, written from their definitions:
 * closed accuracy and open exact match / token recall as LLaVA-Med reports them, corpus BLEU-4
 * (Papineni et al., 2002, as nltk's `corpus_bleu` with uniform weights and no smoothing) and
 * ROUGE-L (Lin, 2004: LCS F-measure with β = 1, as Google's rouge-score).
 */

/** Lower-case, unify whitespace, strip punctuation at the ends and a trailing period: "Yes." → "yes". */
export function normalizeAnswer(s: string): string {
  return s
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[\s"'`.,;:!?()[\]]+|[\s"'`.,;:!?()[\]]+$/g, '');
}

/** Word tokens after normalisation (punctuation split off). */
export function answerTokens(s: string): string[] {
  return normalizeAnswer(s)
    .replace(/[.,;:!?()[\]"']/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
}

/** 1 when the normalised answers are equal (closed questions and open exact match). */
export function exactMatch(pred: string, ref: string): number {
  return normalizeAnswer(pred) === normalizeAnswer(ref) ? 1 : 0;
}

/** Share of the reference's tokens that the prediction contains (LLaVA-Med's open-question recall). */
export function tokenRecall(pred: string, ref: string): number {
  const r = answerTokens(ref);
  if (!r.length) return 0;
  const p = new Set(answerTokens(pred));
  return r.filter((t) => p.has(t)).length / r.length;
}

function ngrams(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = tokens.slice(i, i + n).join('\u0001');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/**
 * Corpus BLEU-4 of hypotheses against one or more references each (tokens: `answerTokens`):
 * modified n-gram precisions summed over the corpus for n = 1..4, geometric mean with uniform
 * weights, brevity penalty with the closest reference length. 0 when some precision is 0.
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly (readonly string[])[], maxN = 4): number {
  const num = new Array<number>(maxN).fill(0);
  const den = new Array<number>(maxN).fill(0);
  let hypLen = 0;
  let refLen = 0;
  hypotheses.forEach((h, i) => {
    const hyp = answerTokens(h);
    const refs = references[i].map(answerTokens);
    hypLen += hyp.length;
    refLen += refs.map((r) => r.length).reduce((best, l) => (Math.abs(l - hyp.length) < Math.abs(best - hyp.length) || (Math.abs(l - hyp.length) === Math.abs(best - hyp.length) && l < best) ? l : best), Infinity);
    for (let n = 1; n <= maxN; n++) {
      const counts = ngrams(hyp, n);
      const maxRef = new Map<string, number>();
      for (const r of refs) for (const [k, c] of ngrams(r, n)) maxRef.set(k, Math.max(maxRef.get(k) ?? 0, c));
      for (const [k, c] of counts) num[n - 1] += Math.min(c, maxRef.get(k) ?? 0);
      den[n - 1] += Math.max(0, hyp.length - n + 1);
    }
  });
  if (num.some((x) => x === 0)) return 0;
  const logP = num.reduce((s, x, k) => s + Math.log(x / den[k]), 0) / maxN;
  const bp = hypLen > refLen ? 1 : hypLen === 0 ? 0 : Math.exp(1 - refLen / hypLen);
  return bp * Math.exp(logP);
}

function lcs(a: string[], b: string[]): number {
  const prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(prev[j], prev[j - 1]);
      diag = up;
    }
  }
  return prev[b.length];
}

/** ROUGE-L F1 of one prediction against its reference (LCS of tokens). */
export function rougeL(pred: string, ref: string): number {
  const p = answerTokens(pred);
  const r = answerTokens(ref);
  const l = lcs(p, r);
  if (l === 0) return 0;
  const prec = l / p.length;
  const rec = l / r.length;
  return (2 * prec * rec) / (prec + rec);
}
