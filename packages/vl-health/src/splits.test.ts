import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitByImage } from './splits.js';
import { generateSynth } from './synth/generate.js';
import type { Sample } from './schema.js';

const imagesOf = (ss: Sample[]) => new Set(ss.flatMap((s) => [...s.images, ...(s.targetImage ? [s.targetImage] : [])]));

describe('splits by image', () => {
  const set = generateSynth({ seed: 2, count: 60, size: 16 });

  it('is deterministic, disjoint by image and by scene group, and covers every sample', () => {
    const a = splitByImage(set.samples, { seed: 3 });
    const b = splitByImage(set.samples, { seed: 3 });
    expect(a).toEqual(b);
    const names = Object.keys(a);
    expect(names).toEqual(['train', 'val', 'test']);
    expect(names.reduce((s, n) => s + a[n].length, 0)).toBe(set.samples.length);
    for (const x of names)
      for (const y of names) {
        if (x >= y) continue;
        const ix = imagesOf(a[x]);
        for (const i of imagesOf(a[y])) expect(ix.has(i)).toBe(false);
      }
    expect(splitByImage(set.samples, { seed: 4 })).not.toEqual(a);
  });

  it('is stratified by task', () => {
    const s = splitByImage(set.samples, { fractions: { train: 0.5, test: 0.5 } });
    for (const name of ['train', 'test']) {
      const gen = s[name].filter((x) => x.task === 'generation').length;
      expect(gen).toBeGreaterThan(0);
    }
  });

  it('property: any sample set splits with no shared image', () => {
    const arb = fc.array(fc.record({ img: fc.integer({ min: 0, max: 15 }), tgt: fc.option(fc.integer({ min: 0, max: 15 })) }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(arb, fc.integer(), (rows, seed) => {
        const samples: Sample[] = rows.map((r, i) => ({
          id: String(i),
          task: r.tgt === null ? 'comprehension' : 'generation',
          subtask: 'x',
          images: [`i${r.img}`],
          ...(r.tgt === null ? {} : { targetImage: `i${r.tgt}` }),
          conversations: [{ from: 'human', value: 'q' }],
          metadata: {},
        }));
        const sp = splitByImage(samples, { seed });
        const tr = imagesOf(sp.train);
        for (const k of ['val', 'test']) for (const i of imagesOf(sp[k])) expect(tr.has(i)).toBe(false);
        expect(sp.train.length + sp.val.length + sp.test.length).toBe(samples.length);
      }),
      { numRuns: 30 },
    );
  });

  it('property: any fractions either split every sample exactly once (shares as the fractions say) or are an ARGUMENT error', () => {
    const samples = set.samples;
    const fraction = fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), fc.constantFrom(Infinity, -Infinity, Number.NaN, -1, 0));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('train', 'val', 'test', 'extra'), fraction, { minKeys: 1 }), (fractions) => {
        const values = Object.values(fractions);
        const valid = values.every((v) => Number.isFinite(v) && v >= 0) && values.reduce((a, b) => a + b, 0) > 0;
        if (!valid) {
          expect(() => splitByImage(samples, { fractions })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
          return;
        }
        const sp = splitByImage(samples, { fractions });
        expect(Object.keys(sp).sort()).toEqual(Object.keys(fractions).sort());
        const all = Object.values(sp).flat();
        expect(all).toHaveLength(samples.length);
        expect(new Set(all.map((x) => x.id)).size).toBe(samples.length);
        for (const [k, v] of Object.entries(fractions)) if (v === 0) expect(sp[k]).toEqual([]);
      }),
      { numRuns: 80 },
    );
  });
});
