import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DataLoader } from './loader.js';
import { TrainerError } from '../errors.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Padding of a batching: Σ over batches of (size · longest) − Σ lengths. */
const padding = (batches: number[][], lengths: number[]) => batches.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i])) - b.reduce((t, i) => t + lengths[i], 0), 0);

const settings = fc.record({
  n: fc.integer({ min: 1, max: 60 }),
  batchSize: fc.integer({ min: 1, max: 9 }),
  seed: fc.integer({ min: 0, max: 1000 }),
  grouped: fc.boolean(),
  window: fc.integer({ min: 1, max: 4 }),
});
const loaderOf = (s: { n: number; batchSize: number; seed: number; grouped: boolean; window: number }) =>
  new DataLoader(range(s.n), { batchSize: s.batchSize, seed: s.seed, groupWindow: s.window, lengths: s.grouped ? range(s.n).map((i) => (i * 7919) % 23) : undefined });

describe('DataLoader', () => {
  it('hands out every item exactly once per epoch, in full batches but the last', () => {
    fc.assert(
      fc.property(settings, fc.integer({ min: 0, max: 5 }), (s, epoch) => {
        const batches = loaderOf(s).epochOrder(epoch);
        expect(batches.flat().sort((a, b) => a - b)).toEqual(range(s.n));
        expect(batches.slice(0, -1).every((b) => b.length === s.batchSize)).toBe(true);
        expect(batches).toHaveLength(Math.ceil(s.n / s.batchSize));
      }),
    );
  });

  it('orders an epoch as a pure function of seed and epoch, and reshuffles every epoch', () => {
    const a = new DataLoader(range(50), { batchSize: 5, seed: 3 });
    const b = new DataLoader(range(50), { batchSize: 5, seed: 3 });
    const c = new DataLoader(range(50), { batchSize: 5, seed: 4 });
    expect(a.epochOrder(2)).toEqual(b.epochOrder(2));
    expect(a.epochOrder(0)).not.toEqual(a.epochOrder(1));
    expect(a.epochOrder(0)).not.toEqual(c.epochOrder(0));
    expect(new DataLoader(range(7), { batchSize: 3, shuffle: false }).epochOrder(0)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('a loader restored from a saved cursor hands out exactly the batches the original would have', () => {
    fc.assert(
      fc.property(settings, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 20 }), (s, before, after) => {
        const original = loaderOf(s);
        for (let i = 0; i < before; i++) original.next();
        const saved = JSON.parse(JSON.stringify(original.state()));
        const restored = loaderOf(s);
        restored.setState(saved);
        for (let i = 0; i < after; i++) expect(restored.next()).toEqual(original.next());
      }),
    );
  });

  it('length grouping pads no more than plain batches of the same shuffled order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 99 }), (lengths, batchSize, seed) => {
        const items = range(lengths.length);
        const plain = new DataLoader(items, { batchSize, seed }).epochOrder(0);
        const grouped = new DataLoader(items, { batchSize, seed, lengths }).epochOrder(0);
        expect(padding(grouped, lengths)).toBeLessThanOrEqual(padding(plain, lengths));
      }),
    );
    // and on a realistic spread it removes most of it
    const lengths = range(512).map((i) => 20 + ((i * 2654435761) % 200));
    const plain = padding(new DataLoader(range(512), { batchSize: 8, seed: 1 }).epochOrder(0), lengths);
    const grouped = padding(new DataLoader(range(512), { batchSize: 8, seed: 1, lengths }).epochOrder(0), lengths);
    expect(grouped).toBeLessThan(plain / 3);
  });

  it('drops the short last batch when told to', () => {
    const l = new DataLoader(range(10), { batchSize: 4, dropLast: true, seed: 2 });
    expect(l.batchesPerEpoch).toBe(2);
    expect(l.epochOrder(0).map((b) => b.length)).toEqual([4, 4]);
  });

  it('refuses bad settings and a cursor saved for other data, with typed errors', () => {
    const bad = (f: () => unknown, code: string) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TrainerError);
        expect((e as TrainerError).code).toBe(code);
        return;
      }
      throw new Error('expected a TrainerError');
    };
    bad(() => new DataLoader([], { batchSize: 2 }), 'DATA');
    bad(() => new DataLoader(range(4), { batchSize: 0 }), 'ARGUMENT');
    bad(() => new DataLoader(range(4), { batchSize: 2, lengths: [1, 2] }), 'ARGUMENT');
    const l = new DataLoader(range(10), { batchSize: 2, seed: 1 });
    bad(() => l.setState({ ...l.state(), size: 11 }), 'CHECKPOINT');
    bad(() => l.setState({ ...l.state(), seed: 2 }), 'CHECKPOINT');
    bad(() => l.setState({ ...l.state(), position: -1 }), 'CHECKPOINT');
  });
});
