import { expect, it, describe } from 'vitest';
import fc from 'fast-check';
import { positionsFromMask, positionsRange } from './positions.js';

describe('positions (HF generate rule)', () => {
  it('under a left-padded mask: real tokens count up from 0, padding slots are 1, last t slots kept (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), (pads, len, t) => {
        const tk = len + Math.max(...pads);
        const rows = pads.map((p) => [...new Array(tk - len - p).fill(1), ...new Array(p).fill(0), ...new Array(len).fill(1)].slice(-tk));
        const tt = Math.min(t, tk);
        const got = positionsFromMask(rows.flat(), rows.length, tk, tt);
        rows.forEach((row, r) => {
          // The reference: cumsum(mask) − 1 over the whole row, then masked slots → 1, last tt kept.
          let c = 0;
          const full = row.map((m) => (m ? c++ : -1));
          const want = full.map((p, j) => (row[j] ? p : 1)).slice(tk - tt);
          expect(Array.from(got.slice(r * tt, (r + 1) * tt))).toEqual(want);
        });
      }),
      { numRuns: 30 },
    );
  });

  it('without a mask: past … past + t − 1 on every row', () => {
    expect(Array.from(positionsRange(2, 3, 2))).toEqual([3, 4, 3, 4]);
    expect(Array.from(positionsRange(1, 0, 3))).toEqual([0, 1, 2]);
  });
});
