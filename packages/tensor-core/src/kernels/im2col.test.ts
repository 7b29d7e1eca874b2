import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, conv2d, upsampleNearest2x } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks, randomValues } from '@healthgpt/testing';

import type { Im2ColAttrs } from './im2col.js';

type Case = Im2ColAttrs & { b: number; c: number; h: number; w: number; seed: number };

const side = fc.integer({ min: 2, max: 6 });
const k3 = fc.integer({ min: 1, max: 3 });
const cases = fc
  .record({ b: k3, c: k3, h: side, w: side, kh: k3, kw: k3, sh: k3, sw: k3, pad: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)), up: fc.constantFrom(1, 2), ones: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }) })
  .filter((k) => k.h * k.up + k.pad[0] + k.pad[1] >= k.kh && k.w * k.up + k.pad[2] + k.pad[3] >= k.kw);

const attrs = ({ kh, kw, sh, sw, pad, up, ones }: Case) => ({ kh, kw, sh, sw, pad, up, ones });
const outSize = (k: Case) => [Math.floor((k.h * k.up + k.pad[0] + k.pad[1] - k.kh) / k.sh) + 1, Math.floor((k.w * k.up + k.pad[2] + k.pad[3] - k.kw) / k.sw) + 1];
const im2col = (x: tf.Tensor, k: Case) => tf.engine().runKernel('HealthGPTIm2Col', { x }, attrs(k) as unknown as tf.NamedAttrMap) as tf.Tensor;
const col2im = (cols: tf.Tensor, k: Case) => tf.engine().runKernel('HealthGPTCol2Im', { cols }, { ...attrs(k), xShape: [k.b, k.c, k.h, k.w] } as unknown as tf.NamedAttrMap) as tf.Tensor;

/** The column matrix read straight off its definition: rows (c, i, j), columns (b, oy, ox). */
function reference(x: Float32Array, k: Case): Float64Array {
  const [ho, wo] = outSize(k);
  const rows = k.c * k.kh * k.kw + (k.ones ? 1 : 0);
  const n = k.b * ho * wo;
  const out = new Float64Array(rows * n);
  for (let c = 0; c < k.c; c++)
    for (let i = 0; i < k.kh; i++)
      for (let j = 0; j < k.kw; j++)
        for (let b = 0; b < k.b; b++)
          for (let oy = 0; oy < ho; oy++)
            for (let ox = 0; ox < wo; ox++) {
              const y = oy * k.sh - k.pad[0] + i;
              const xx = ox * k.sw - k.pad[2] + j;
              const inside = y >= 0 && y < k.h * k.up && xx >= 0 && xx < k.w * k.up;
              out[((c * k.kh + i) * k.kw + j) * n + (b * ho + oy) * wo + ox] = inside ? x[((b * k.c + c) * k.h + Math.floor(y / k.up)) * k.w + Math.floor(xx / k.up)] : 0;
            }
  if (k.ones) out.fill(1, (rows - 1) * n);
  return out;
}

describeBackends('Im2Col / Col2Im', () => {
  it('Im2Col gathers each window of the padded, strided, upsampled image (property)', () => {
    fc.assert(
      fc.property(cases, (k) => {
        const xv = randomValues(k.b * k.c * k.h * k.w, k.seed);
        const cols = tf.tidy(() => im2col(tf.tensor(xv, [k.b, k.c, k.h, k.w]), k));
        const [ho, wo] = outSize(k);
        expect(cols.shape).toEqual([k.c * k.kh * k.kw + (k.ones ? 1 : 0), k.b * ho * wo]);
        expectClose(cols.dataSync(), reference(xv, k), { atol: 0, rtol: 0 }, 'im2col');
        cols.dispose();
      }),
      { numRuns: 40 },
    );
  });

  it('Col2Im is the adjoint of Im2Col: ⟨Im2Col(x), c⟩ = ⟨x, Col2Im(c)⟩ (the ones row aside) (property)', () => {
    fc.assert(
      fc.property(cases, (kc) => {
        const k = { ...kc, ones: false };
        const [lhs, rhs] = tf.tidy(() => {
          const x = tf.tensor(randomValues(k.b * k.c * k.h * k.w, k.seed), [k.b, k.c, k.h, k.w]);
          const cols = im2col(x, k);
          const c = tf.tensor(randomValues(cols.size, k.seed + 1), cols.shape);
          return [tf.sum(tf.mul(cols, c)).dataSync()[0], tf.sum(tf.mul(x, col2im(c, k))).dataSync()[0]];
        });
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * (1 + Math.abs(lhs)));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses columns of the wrong shape', () => {
    const k: Case = { b: 1, c: 2, h: 4, w: 4, kh: 3, kw: 3, sh: 1, sw: 1, pad: [1, 1, 1, 1], up: 1, ones: false, seed: 1 };
    expect(() => tf.tidy(() => col2im(tf.zeros([17, 16]), k))).toThrow(/must have shape \[18, 16\]/);
  });

  it("conv2d's fused `upsample: 2` equals a convolution of upsampleNearest2x(x), values and gradients (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 5 }), fc.constantFrom(1, 3), fc.integer({ min: 1, max: 1e6 }), (b, cin, hw, k, seed) => {
        tf.tidy(() => {
          const x = tf.tensor(randomValues(b * cin * hw * hw, seed), [b, cin, hw, hw]);
          const w = tf.tensor(randomValues(2 * cin * k * k, seed + 1), [2, cin, k, k]);
          const bias = tf.tensor(randomValues(2, seed + 2));
          const pad = (k - 1) / 2;
          const probe = tf.tensor(randomValues(b * 2 * 4 * hw * hw, seed + 3), [b, 2, 2 * hw, 2 * hw]);
          const fused = (a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) => conv2d(a, f, c, { padding: pad, upsample: 2 });
          const unfused = (a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) => conv2d(upsampleNearest2x(a), f, c, { padding: pad });
          expectClose(fused(x, w, bias), unfused(x, w, bias), { atol: 1e-5, rtol: 1e-5 }, 'values');
          const loss = (f: typeof fused) => (a: tf.Tensor, wt: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, wt, c), probe));
          const [ga, gb] = [tf.grads(loss(fused))([x, w, bias]), tf.grads(loss(unfused))([x, w, bias])];
          ['dx', 'dw', 'db'].forEach((name, i) => expectClose(ga[i], gb[i], { atol: 1e-4, rtol: 1e-4 }, name));
        });
      }),
      { numRuns: 10 },
    );
  });

  it('a convolution forward and backward leaves no tensor behind', async () => {
    const x = tf.tensor(randomValues(2 * 3 * 6 * 6, 5), [2, 3, 6, 6]);
    const w = tf.tensor(randomValues(4 * 3 * 3 * 3, 6), [4, 3, 3, 3]);
    const b = tf.tensor(randomValues(4, 7));
    const step = () => tf.grads((a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) => tf.sum(conv2d(a, f, c, { padding: 1, stride: 2 })))([x, w, b]);
    tf.dispose(step()); // warm-up
    await expectNoLeaks(step, { what: 'conv2d forward + backward' });
    tf.dispose([x, w, b]);
  });
});

describeBackends('conv2d without the Im2Col kernels (other backends)', (backend) => {
  it('gives the same values and gradients through its NHWC path (property)', () => {
    const kernels = ['HealthGPTIm2Col', 'HealthGPTCol2Im'].map((name) => tf.getKernel(name, backend)!);
    const run = (a: tf.Tensor, f: tf.Tensor, c: tf.Tensor, o: { stride: number; padding: [number, number, number, number]; upsample: 1 | 2 }) => {
      const y = conv2d(a, f, c, o);
      return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(conv2d(p, q, r, o), tf.sin(y))))([a, f, c])];
    };
    fc.assert(
      fc.property(fc.constantFrom(1, 2), fc.tuple(fc.nat(1), fc.nat(1), fc.nat(1), fc.nat(1)), fc.constantFrom<1 | 2>(1, 2), fc.integer({ min: 1, max: 1e6 }), (stride, padding, upsample, seed) => {
        tf.tidy(() => {
          const x = tf.tensor(randomValues(2 * 2 * 5 * 5, seed), [2, 2, 5, 5]);
          const w = tf.tensor(randomValues(3 * 2 * 3 * 3, seed + 1), [3, 2, 3, 3]);
          const b = tf.tensor(randomValues(3, seed + 2));
          const o = { stride, padding, upsample };
          const ours = run(x, w, b, o);
          kernels.forEach((k) => tf.unregisterKernel(k.kernelName, backend));
          try {
            const other = run(x, w, b, o);
            ['y', 'dx', 'dw', 'db'].forEach((name, i) => expectClose(other[i], ours[i], { atol: 1e-4, rtol: 1e-4 }, name));
          } finally {
            kernels.forEach((k) => tf.registerKernel(k));
          }
        });
      }),
      { numRuns: 8 },
    );
  });
});
