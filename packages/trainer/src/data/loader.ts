import { Generator } from '@healthgpt/tensor-core';
import { TrainerError } from '../errors.js';

export interface LoaderOptions {
  /** Items per batch (the last batch of an epoch may be smaller unless `dropLast`). */
  batchSize: number;
  /** Seeds every epoch's order: epoch e of seed s is always the same order (default 0). */
  seed?: number;
  /** Shuffle each epoch (default true); false keeps the items' order. */
  shuffle?: boolean;
  /**
   * Length of each item (e.g. tokens): when given, batches are length-grouped. The epoch's
   * shuffled order is cut into windows of `groupWindow` batches, each window is sorted by length
   * and cut into batches, and the batches are shuffled, so a batch holds items of similar length
   * (little padding) while every epoch still sees every item once in a random order.
   */
  lengths?: readonly number[];
  /** Batches per sorting window of length grouping (default 8). */
  groupWindow?: number;
  /** Drop an epoch's last, short batch (default false). */
  dropLast?: boolean;
}

/** Where a loader is: JSON, saved in checkpoints. */
export interface LoaderState {
  /** Epochs finished so far. */
  epoch: number;
  /** Batches of the current epoch already handed out. */
  position: number;
  /** The settings the order depends on (checked when restored). */
  seed: number;
  batchSize: number;
  size: number;
}

/** One batch of items with where it came from. */
export interface LoadedBatch<T> {
  items: T[];
  /** Indices of the items in the loader's list. */
  indices: number[];
  epoch: number;
  /** Index of the batch within its epoch. */
  index: number;
}

/**
 * A seeded, resumable loader over a list of items: every epoch is a fresh permutation (a pure
 * function of seed and epoch, so nothing but the cursor needs saving), optionally length-grouped.
 * `state()` / `setState()` save and restore the cursor; a restored loader hands out exactly the
 * batches the original would have.
 */
export class DataLoader<T> {
  readonly batchSize: number;
  readonly seed: number;
  private readonly shuffle: boolean;
  private readonly lengths?: readonly number[];
  private readonly window: number;
  private readonly dropLast: boolean;
  private epoch = 0;
  private position = 0;
  private order: number[][] | null = null;

  constructor(
    readonly items: readonly T[],
    { batchSize, seed = 0, shuffle = true, lengths, groupWindow = 8, dropLast = false }: LoaderOptions,
  ) {
    TrainerError.check(items.length > 0, 'DATA', `'items' passed to 'DataLoader' must not be empty`);
    TrainerError.check(Number.isInteger(batchSize) && batchSize > 0, 'ARGUMENT', `'batchSize' passed to 'DataLoader' must be a positive integer, got ${batchSize}`);
    TrainerError.check(!dropLast || items.length >= batchSize, 'DATA', () => `'DataLoader' with dropLast needs at least one full batch: ${items.length} item(s) < batchSize ${batchSize}`);
    TrainerError.check(Number.isInteger(groupWindow) && groupWindow > 0, 'ARGUMENT', `'groupWindow' passed to 'DataLoader' must be a positive integer, got ${groupWindow}`);
    if (lengths) TrainerError.check(lengths.length === items.length && lengths.every((l) => Number.isFinite(l)), 'ARGUMENT', () => `'lengths' passed to 'DataLoader' must hold one finite number per item (${items.length}), got ${lengths.length}`);
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = shuffle;
    this.lengths = lengths;
    this.window = groupWindow;
    this.dropLast = dropLast;
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    const n = this.items.length / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The batches of epoch `e`, as index lists (a pure function of seed, epoch and settings). */
  epochOrder(e: number): number[][] {
    const idx = Array.from({ length: this.items.length }, (_, i) => i);
    const gen = new Generator(this.seed * 7919 + e * 104729 + 1);
    if (this.shuffle) gen.shuffle(idx);
    const b = this.batchSize;
    let batches: number[][] = [];
    if (this.lengths) {
      const lengths = this.lengths;
      const w = b * this.window;
      for (let s = 0; s < idx.length; s += w) batches.push(...groupWindow(idx.slice(s, s + w).sort((x, y) => lengths[y] - lengths[x] || x - y), b, lengths));
      const short = batches.findIndex((x) => x.length < b);
      const tail = short >= 0 ? batches.splice(short, 1) : [];
      if (this.shuffle) gen.shuffle(batches);
      batches.push(...tail); // the one short batch stays last
    } else for (let k = 0; k < idx.length; k += b) batches.push(idx.slice(k, k + b));
    if (this.dropLast) batches = batches.filter((x) => x.length === b);
    return batches;
  }

  /** The next batch; a new epoch (a new order) starts after the last one. */
  next(): LoadedBatch<T> {
    if (!this.order) this.order = this.epochOrder(this.epoch);
    if (this.position >= this.order.length) {
      this.epoch++;
      this.position = 0;
      this.order = this.epochOrder(this.epoch);
    }
    const indices = this.order[this.position];
    const out = { items: indices.map((i) => this.items[i]), indices: [...indices], epoch: this.epoch, index: this.position };
    this.position++;
    return out;
  }

  state(): LoaderState {
    return { epoch: this.epoch, position: this.position, seed: this.seed, batchSize: this.batchSize, size: this.items.length };
  }

  /** Continue from a saved cursor (the loader must have the same items, seed and batch size). */
  setState(s: LoaderState): void {
    const same = s.seed === this.seed && s.batchSize === this.batchSize && s.size === this.items.length;
    TrainerError.check(same, 'CHECKPOINT', () => `the saved data cursor is for ${s.size} item(s), seed ${s.seed}, batch size ${s.batchSize}; this loader has ${this.items.length}, ${this.seed}, ${this.batchSize}`);
    TrainerError.check(Number.isInteger(s.epoch) && s.epoch >= 0 && Number.isInteger(s.position) && s.position >= 0, 'CHECKPOINT', () => `the saved data cursor ${JSON.stringify(s)} is not a valid position`);
    this.epoch = s.epoch;
    this.position = s.position;
    this.order = null;
  }
}

/**
 * Cut one window, sorted longest first, into batches of `b` (and at most one short batch) with the
 * least padding: batches are runs of the sorted order, and the short batch, if any, goes where
 * Σ size · longest is smallest (with fixed batch sizes, some optimal grouping is contiguous in
 * sorted order).
 */
function groupWindow(sorted: number[], b: number, lengths: readonly number[]): number[][] {
  const r = sorted.length % b;
  const cut = (k: number) => {
    const out: number[][] = [];
    let at = 0;
    for (let g = 0; at < sorted.length; g++) {
      const size = r && g === k ? r : b;
      out.push(sorted.slice(at, at + size));
      at += size;
    }
    return out;
  };
  if (!r) return cut(-1);
  const cost = (gs: number[][]) => gs.reduce((s, g) => s + g.length * lengths[g[0]], 0);
  let best = cut(0);
  for (let k = 1; k <= Math.floor(sorted.length / b); k++) {
    const c = cut(k);
    if (cost(c) < cost(best)) best = c;
  }
  return best;
}
