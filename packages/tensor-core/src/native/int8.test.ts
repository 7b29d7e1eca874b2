import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, useNativeMatmul } from '@healthgpt/tensor-core';
import { int8Linear, quantizeInt8, type Int8Weights } from '@healthgpt/tensor-core/internal';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { nativeAddon, nativeStatus } from '../kernels/native.js';

/** x (q·s)ᵀ in float64. */
function reference(x: Float32Array, w: Int8Weights, rows: number): Float64Array {
  const { q, scales, outFeatures: out, inFeatures: inF } = w;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let acc = 0;
      for (let i = 0; i < inF; i++) acc += x[r * inF + i] * q[o * inF + i];
      y[r * out + o] = acc * scales[o];
    }
  }
  return y;
}

/** Random int8 weights from a seed (values over the whole range, one all-zero channel). */
function weights(out: number, inF: number, seed: number): Int8Weights {
  const q = Int8Array.from({ length: out * inF }, (_, k) => Math.round(127 * Math.sin(seed * 3.7 + k * 1.3)));
  q.fill(0, 0, inF);
  const scales = Float32Array.from({ length: out }, (_, o) => (o === 0 ? 0 : Math.fround(0.01 + 0.001 * ((o * 7 + seed) % 13))));
  return { q, scales, outFeatures: out, inFeatures: inF };
}

const xOf = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.cos(seed * 1.9 + i * 0.77) * 3));

describe('native int8 matmul (int8 weights, float32 activations)', () => {
  it('equals the float64 x·(q·s)ᵀ to float32 rounding on random shapes, at any offset', () => {
    const addon = nativeAddon();
    if (!addon?.int8Matmul) return void expect(nativeStatus().reason ?? 'an addon built before int8Matmul').not.toBe('');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 500 }), (rows, out, inF, off, seed) => {
        const w = weights(out, inF, seed);
        const x = xOf(rows * inF, seed);
        const xBuf = new Float32Array(off + x.length);
        xBuf.set(x, off);
        const y = new Float32Array(off + rows * out).fill(NaN);
        addon.int8Matmul!(xBuf, off, w.q, w.scales, y, off, rows, out, inF);
        const want = reference(x, w, rows);
        const bound = (k: number) => {
          const r = Math.floor(k / out);
          const o = k % out;
          let mag = 0;
          for (let i = 0; i < inF; i++) mag += Math.abs(x[r * inF + i] * w.q[o * inF + i]);
          return 1e-6 * mag * w.scales[o] * inF ** 0.5 + 1e-30;
        };
        for (let k = 0; k < want.length; k++) expect(Math.abs(y[off + k] - want[k]), `y[${k}]`).toBeLessThanOrEqual(bound(k));
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same bytes on one thread and on several (a layer large enough to split)', () => {
    const addon = nativeAddon();
    if (!addon?.int8Matmul) return void expect(nativeStatus().reason ?? 'an addon built before int8Matmul').not.toBe('');
    const [rows, out, inF] = [2, 3001, 517];
    const w = weights(out, inF, 3);
    const x = xOf(rows * inF, 3);
    // The decoding products follow the BLAS's thread count (the pool's without a BLAS): set both.
    const run = (threads: number) => {
      addon.setPoolThreads(threads);
      addon.setThreads(threads);
      const y = new Float32Array(rows * out);
      addon.int8Matmul!(x, 0, w.q, w.scales, y, 0, rows, out, inF);
      return Buffer.from(y.buffer);
    };
    const before = addon.poolThreads();
    const blasBefore = addon.blasInfo()?.threads ?? 1;
    try {
      const single = run(1);
      // A job posted right after the pool is resized must be taken by every new worker, however
      // late the system schedules it (a worker that missed it used to leave the caller waiting).
      for (let i = 0; i < 20; i++) expect(run(2 + (i % 3)).equals(single), `round ${i}`).toBe(true);
    } finally {
      addon.setPoolThreads(before);
      addon.setThreads(blasBefore);
    }
  });

  it('rejects operands of the wrong type or size with a native error', () => {
    const addon = nativeAddon();
    if (!addon?.int8Matmul) return void expect(nativeStatus().reason ?? 'an addon built before int8Matmul').not.toBe('');
    const x = new Float32Array(6);
    const y = new Float32Array(4);
    const q = new Int8Array(6);
    const s = new Float32Array(2);
    expect(() => addon.int8Matmul!(x, 1, q, s, y, 0, 2, 2, 3)).toThrow(/rows·in/);
    expect(() => addon.int8Matmul!(x, 0, new Int8Array(5), s, y, 0, 2, 2, 3)).toThrow(/Int8Array of out·in/);
    expect(() => addon.int8Matmul!(x, 0, q, new Float32Array(3), y, 0, 2, 2, 3)).toThrow(/scales a Float32Array/);
    expect(() => addon.int8Matmul!(x, 0, new Uint8Array(6) as unknown as Int8Array, s, y, 0, 2, 2, 3)).toThrow(/Int8Array/);
  });
});

describeBackends('int8Linear on the native and the JS direct path', () => {
  it('decoding rows agree between the native int8 kernel and the JS dot products (and leak nothing)', async () => {
    const w = quantizeInt8(tf.tidy(() => tf.sin(tf.linspace(0, 40, 96 * 80)).reshape([96, 80])));
    const x = tf.tidy(() => tf.cos(tf.linspace(0, 9, 3 * 80)).reshape([3, 80]));
    const run = (native: boolean) => {
      useNativeMatmul(native);
      try {
        return tf.tidy(() => int8Linear(x, w)).dataSync().slice();
      } finally {
        useNativeMatmul(true);
      }
    };
    const [on, off] = [run(true), run(false)];
    const scale = Math.max(...off.map(Math.abs));
    on.forEach((v, k) => expect(Math.abs(v - off[k])).toBeLessThanOrEqual(1e-6 * scale));
    await expectNoLeaks(() => int8Linear(x, w), { what: 'int8Linear (decoding rows)' });
    x.dispose();
  });
});
