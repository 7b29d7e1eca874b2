import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { expectNoLeaks, expectClose, disposeDeep } from '@healthgpt/testing';
import { selectFeatures, resolveLayer } from './select.js';
import { selectTaskFeatures, HEALTHGPT_FEATURE_LAYERS } from './hierarchical.js';
import { VisionEncoderError } from '../errors.js';

/** L + 1 fake hidden states [B, T, D] whose values encode (layer, row, token, channel). */
function fakeStates(layers: number, b: number, t: number, d: number): Tensor[] {
  return Array.from({ length: layers }, (_, l) => tf.tidy(() => tf.range(0, b * t * d).reshape([b, t, d]).add(1000 * l)));
}

describe('selectFeatures', () => {
  it('uses Python indexing and drops CLS by default', () => {
    const hs = fakeStates(4, 2, 5, 3);
    const m2 = selectFeatures(hs, -2);
    const ref = tf.slice(hs[2], [0, 1, 0], [-1, -1, -1]);
    expect(m2.shape).toEqual([2, 4, 3]);
    expectClose(m2, ref, { atol: 0 }, 'layer −2');
    const withCls = selectFeatures(hs, 1, { dropCls: false });
    expectClose(withCls, hs[1], { atol: 0 }, 'layer 1 with CLS');
    expect(withCls).not.toBe(hs[1]);
    disposeDeep([hs, m2, ref, withCls]);
  });

  it('resolveLayer maps every valid index and only those (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: -40, max: 40 }), (count, layer) => {
        const valid = layer >= -count && layer < count;
        if (!valid) {
          expect(() => resolveLayer(layer, count)).toThrow(VisionEncoderError);
          return;
        }
        const r = resolveLayer(layer, count);
        expect(r >= 0 && r < count && (r - layer) % count === 0).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  it('rejects out-of-range layers, empty lists and non-integers with messages naming the argument', () => {
    const hs = fakeStates(3, 1, 2, 2);
    expect(() => selectFeatures(hs, 3)).toThrow(/'layer' passed to 'selectFeatures' must be an integer in \[-3, 2\] for 3 hidden states, got 3/);
    expect(() => selectFeatures(hs, 0.5)).toThrow(VisionEncoderError);
    expect(() => selectFeatures([], 0)).toThrow(/'hiddenStates' passed to 'selectFeatures' must not be empty/);
    disposeDeep(hs);
  });

  it('leaks nothing', async () => {
    const hs = fakeStates(3, 2, 4, 2);
    await expectNoLeaks(() => selectFeatures(hs, -2), { what: 'selectFeatures' });
    await expectNoLeaks(() => selectTaskFeatures(hs, ['generation', 'comprehension', 'generation'].slice(0, 2)).map((x) => x.features), { what: 'selectTaskFeatures' });
    disposeDeep(hs);
  });
});

describe('selectTaskFeatures (one forward, both tasks)', () => {
  it('defaults to HealthGPT’s layers: comprehension −2, generation 1', () => {
    expect(HEALTHGPT_FEATURE_LAYERS).toEqual({ comprehension: -2, generation: 1 });
  });

  it('gives each row its task’s layer, for any mix of tasks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('comprehension', 'generation'), { minLength: 1, maxLength: 5 }), (tasks) => {
        const hs = fakeStates(4, tasks.length, 3, 2);
        const groups = selectTaskFeatures(hs, tasks);
        const all = groups.flatMap((g) => g.rows).sort((a, b) => a - b);
        expect(all).toEqual(tasks.map((_, i) => i));
        for (const g of groups) {
          expect(g.rows.every((r) => tasks[r] === g.task)).toBe(true);
          const values = g.features.arraySync() as number[][][];
          g.rows.forEach((row, i) => {
            const layer = g.task === 'comprehension' ? 2 : 1;
            const ref = tf.tidy(() => tf.slice(hs[layer], [row, 1, 0], [1, -1, -1]).arraySync() as number[][][]);
            expect(values[i]).toEqual(ref[0]);
          });
        }
        disposeDeep([hs, groups.map((g) => g.features)]);
        return true;
      }),
      { numRuns: 15 },
    );
  });

  it('takes configurable layers and extra task names; an unknown task is a typed error', () => {
    const hs = fakeStates(5, 2, 3, 2);
    const groups = selectTaskFeatures(hs, ['seg', 'seg'], { layers: { comprehension: -1, generation: 0, seg: 3 }, dropCls: false });
    expectClose(groups[0].features, hs[3], { atol: 0 }, 'custom layer');
    expect(() => selectTaskFeatures(hs, ['other', 'seg'])).toThrow(/names task 'other', which has no layer/);
    expect(() => selectTaskFeatures(hs, ['seg'])).toThrow(/must name the task of each of the 2 rows, got 1/);
    disposeDeep([hs, groups.map((g) => g.features)]);
  });
});
