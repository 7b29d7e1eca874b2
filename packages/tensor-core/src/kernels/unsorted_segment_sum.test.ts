import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf } from '@healthgpt/tensor-core';
import { wasmAndCpu, randomValues, maxAbsDiff } from '@healthgpt/testing';

/** Plain reference: out[s] = Σ_{i: ids[i] = s} x[i]. */
function reference(x: Float32Array, ids: number[], d: number, segments: number): Float32Array {
  const out = new Float32Array(segments * d);
  ids.forEach((s, i) => {
    if (s >= 0 && s < segments) for (let j = 0; j < d; j++) out[s * d + j] += x[i * d + j];
  });
  return out;
}

describe('UnsortedSegmentSum (O(N·D) scatter-add, wasm and cpu)', () => {
  it('matches a plain reference on both backends for random ids (negative ids dropped)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 1000 }),
        async (n, rest, segments, seed) => {
          const ids = Array.from(randomValues(n, seed), (v) => Math.floor((v + 1) * 0.5 * (segments + 1)) - 1); // in [-1, segments)
          const d = rest.reduce((a, b) => a * b, 1);
          const x = randomValues(n * d, seed + 7);
          const want = reference(x, ids, d, segments);
          const { wasm, cpu } = await wasmAndCpu(() => tf.unsortedSegmentSum(tf.tensor(x, [n, ...rest]), tf.tensor1d(ids, 'int32'), segments));
          expect(wasm.shape).toEqual([segments, ...rest]);
          expect(maxAbsDiff(wasm.values, want)).toBeLessThan(1e-5);
          expect(maxAbsDiff(cpu.values, want)).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('gives the embedding gradient (gather backward) on wasm, equal to cpu', async () => {
    const table = randomValues(10 * 4, 1);
    const ids = [3, 1, 3, 9, 0, 3];
    const r = await wasmAndCpu(() => tf.grad((w: tf.Tensor) => tf.gather(w, tf.tensor1d(ids, 'int32')).mul(tf.range(0, 24).reshape([6, 4])).sum())(tf.tensor(table, [10, 4])));
    expect(r.wasm.shape).toEqual([10, 4]);
    expect(maxAbsDiff(r.wasm.values, r.cpu.values)).toBeLessThan(1e-5);
    expect(Array.from(r.wasm.values.slice(12, 16))).toEqual([0 + 8 + 20, 1 + 9 + 21, 2 + 10 + 22, 3 + 11 + 23]);
  });

  it('rejects segment ids that are not a prefix of the data shape', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.unsortedSegmentSum(tf.zeros([4, 2]), tf.zeros([3], 'int32'), 2)).toThrow();
  });
});
