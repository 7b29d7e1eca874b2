import { DatasetError } from './errors.js';
import type { Sample } from './schema.js';

export interface SplitOptions {
  /** Split names and fractions (normalised; default train 0.8, val 0.1, test 0.1). */
  fractions?: Record<string, number>;
  seed?: number;
  /** Stratum of a group of samples (default: the task of its first sample, i.e. stratified by task). */
  stratum?: (samples: Sample[]) => string;
}

/**
 * Split samples deterministically **by image**: samples that share any image (input or target),
 * or the same `metadata.group`, form one group, and a group goes wholly into one split. Within
 * each stratum (task by default) groups are ordered by a seeded hash and cut by the fractions
 * (largest remainder), so every task is represented in proportion.
 */
export function splitByImage(samples: readonly Sample[], opts: SplitOptions = {}): Record<string, Sample[]> {
  const { fractions = { train: 0.8, val: 0.1, test: 0.1 }, seed = 0 } = opts;
  const names = Object.keys(fractions);
  const total = names.reduce((s, k) => s + fractions[k], 0);
  DatasetError.check(
    names.length > 0 && names.every((k) => Number.isFinite(fractions[k]) && fractions[k] >= 0) && total > 0,
    'ARGUMENT',
    () => `'fractions' passed to 'splitByImage' must be finite, non-negative numbers with a positive sum, got ${JSON.stringify(fractions, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`,
  );
  DatasetError.check(Number.isFinite(seed), 'ARGUMENT', () => `'seed' passed to 'splitByImage' must be a finite number, got ${seed}`);
  // union-find over image paths and groups
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const add = (x: string) => parent.has(x) || parent.set(x, x);
  const keysOf = (s: Sample) => [...s.images.map((p) => `img:${p}`), ...(s.targetImage ? [`img:${s.targetImage}`] : []), ...(s.metadata.group !== undefined ? [`grp:${String(s.metadata.group)}`] : []), ...(s.images.length || s.targetImage || s.metadata.group !== undefined ? [] : [`id:${s.id}`])];
  for (const s of samples) {
    const ks = keysOf(s);
    ks.forEach(add);
    for (const k of ks.slice(1)) {
      const a = find(ks[0]);
      const b = find(k);
      if (a !== b) parent.set(b < a ? a : b, b < a ? b : a);
    }
  }
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const root = find(keysOf(s)[0]);
    const g = groups.get(root) ?? [];
    g.push(s);
    groups.set(root, g);
  }
  const stratumOf = opts.stratum ?? ((g: Sample[]) => g[0].task);
  const strata = new Map<string, string[]>();
  for (const [root, g] of groups) {
    const k = stratumOf(g);
    strata.set(k, [...(strata.get(k) ?? []), root]);
  }
  const out: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const roots of strata.values()) {
    roots.sort((a, b) => hash32(`${seed}:${a}`) - hash32(`${seed}:${b}`) || (a < b ? -1 : 1));
    const counts = largestRemainder(roots.length, names.map((n) => fractions[n] / total));
    let i = 0;
    names.forEach((n, j) => {
      for (let c = 0; c < counts[j]; c++) out[n].push(...groups.get(roots[i++])!);
    });
  }
  return out;
}

function largestRemainder(n: number, p: number[]): number[] {
  const exact = p.map((x) => x * n);
  const base = exact.map(Math.floor);
  let left = n - base.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) if (left-- > 0) base[i]++;
  return base;
}

/** A data set's own split kept as released (e.g. VQA-RAD's `metadata.split`). */
export function officialSplit(samples: readonly Sample[], key = 'split'): Record<string, Sample[]> {
  const out: Record<string, Sample[]> = {};
  for (const s of samples) {
    const k = String(s.metadata[key] ?? 'unsplit');
    (out[k] ??= []).push(s);
  }
  return out;
}

/** FNV-1a 32-bit hash of a string: a seeded, order-independent key for the split order. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
