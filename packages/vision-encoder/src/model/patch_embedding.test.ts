import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, conv2d, Generator, normal } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { PatchEmbedding } from './patch_embedding.js';
import { VisionEncoderError } from '../errors.js';

describeBackends('PatchEmbedding', (backend) => {
  it('equals the strided conv (stride = kernel = p) for random shapes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 }), (b, gh, gw, p, seed) => {
        const gen = new Generator(seed);
        const pe = new PatchEmbedding(3, 5, p, { std: 0.5, gen });
        const x = normal([b, 3, gh * p, gw * p], 0, 1, gen);
        const y = pe.forward(x); // [B, N, D]
        const ref = tf.tidy(() => conv2d(x, pe.weight, null, { stride: p }).reshape([b, 5, gh * gw]).transpose([0, 2, 1])); // [B, N, D]
        expectClose(y, ref, { atol: 1e-5 }, 'patch embedding vs conv');
        tf.dispose([x, y, ref]);
        pe.dispose();
      }),
      // Single-patch grids and batch 1 give transposes with size-1 axes (a wasm kernel regression seen once).
      { numRuns: 15, examples: [[1, 1, 1, 4, 0], [2, 1, 3, 2, 1], [1, 3, 1, 2, 2]] },
    );
  });

  it(`has a weight gradient on ${backend} (trains without a conv kernel), equal to the conv's where available`, () => {
    const gen = new Generator(7);
    const pe = new PatchEmbedding(3, 4, 2, { std: 0.5, gen });
    const x = normal([2, 3, 4, 6], 0, 1, gen);
    const target = normal([2, 6, 4], 0, 1, gen);
    const { loss, grads } = pe.computeGradients(() => tf.sum(tf.mul(pe.forward(x), target)));
    const g = grads.get('weight')!;
    expect(g.shape).toEqual([4, 3, 2, 2]);
    // d/dW Σ y·t = Σ_n t[n, d] · patch[n]: checked against the conv's gradient on the cpu backend.
    if (backend === 'cpu') {
      const ref = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.mul(conv2d(x, w, null, { stride: 2 }).reshape([2, 4, 6]).transpose([0, 2, 1]), target)))(pe.weight));
      expectClose(g, ref, { atol: 1e-5 }, 'weight gradient');
      ref.dispose();
    } else expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, target, loss, g]);
    pe.dispose();
  });

  it('does not leak, and rejects a bad input shape with a typed error', async () => {
    const pe = new PatchEmbedding(3, 4, 4);
    const x = tf.zeros([1, 3, 8, 8]);
    await expectNoLeaks(() => pe.forward(x), { what: 'PatchEmbedding.forward' });
    const bad = tf.zeros([1, 3, 6, 8]);
    expect(() => pe.forward(bad)).toThrow(VisionEncoderError);
    expect(() => pe.forward(bad)).toThrow(/'pixelValues' passed to 'PatchEmbedding' must be \[B, 3, H, W\] with H and W multiples of 4/);
    tf.dispose([x, bad]);
    pe.dispose();
  });
});
