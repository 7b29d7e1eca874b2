import { expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, rotaryCosSin } from '@healthgpt/tensor-core';
import { describeBackends, expectClose } from '@healthgpt/testing';
import { positionIdsFromMask } from '../index.js';
import { positionsFromMask, positionsRange, rotaryTables } from './rotary.js';

describeBackends('rotary tables and positions', () => {
  it('JS positions from a left-padded mask equal the tensor version (HF generate rule)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), (pads, len, t) => {
        const tk = len + Math.max(...pads);
        const rows = pads.map((p) => [...new Array(tk - len - p).fill(1), ...new Array(p).fill(0), ...new Array(len).fill(1)].slice(-tk));
        const tt = Math.min(t, tk);
        const m = tf.tensor2d(rows, [rows.length, tk], 'int32');
        const want = positionIdsFromMask(m, tt);
        expect(Array.from(positionsFromMask(rows.flat(), rows.length, tk, tt))).toEqual(Array.from(want.dataSync()));
        [m, want].forEach((x) => x.dispose());
      }),
      { numRuns: 15 },
    );
    expect(Array.from(positionsRange(2, 3, 2))).toEqual([3, 4, 3, 4]);
  });

  it('JS cos/sin tables equal tensor-core rotaryCosSin', () => {
    const pos = [0, 1, 7, 1999, 5, 4096];
    const { cos, sin } = rotaryTables(pos, 2, 3, 16, 1e6);
    const ref = rotaryCosSin(tf.tensor2d(pos, [2, 3], 'int32'), 16, 1e6);
    expectClose(cos.reshape([2, 3, 16]), ref.cos, { atol: 2e-6 }, 'cos');
    expectClose(sin.reshape([2, 3, 16]), ref.sin, { atol: 2e-6 }, 'sin');
    [cos, sin, ref.cos, ref.sin].forEach((x) => x.dispose());
  });
});
