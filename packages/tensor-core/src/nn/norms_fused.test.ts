import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { layerNorm, layerNormReference, rmsNorm, rmsNormReference } from './norms.js';
import { randArray } from './reference.test_util.js';

type Norm = (x: Tensor, w: Tensor | null, b: Tensor | null) => Tensor;

/** Value and the gradients of Σ f(x, w, b)·probe with respect to x and each present param. */
function valueAndGrads(f: Norm, x: Tensor, w: Tensor | null, b: Tensor | null, probe: Tensor): Float32Array[] {
  const params = [w, b].filter((t): t is Tensor => t !== null);
  const outs = tf.tidy(() => {
    const g = tf.grads((...a: Tensor[]) => {
      const [xx, ...ps] = a;
      const ww = w ? ps[0] : null;
      const bb = b ? ps[w ? 1 : 0] : null;
      return tf.sum(tf.mul(f(xx, ww, bb), probe));
    });
    return [f(x, w, b), ...g([x, ...params])];
  });
  const arrays = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return arrays;
}

const shapes = fc.record({
  lead: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
  d: fc.integer({ min: 1, max: 9 }),
  withW: fc.boolean(),
  withB: fc.boolean(),
  offset: fc.double({ min: -3, max: 3, noNaN: true }),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

function check(fused: Norm, ref: Norm, useBias: boolean, what: string): void {
  fc.assert(
    fc.property(shapes, ({ lead, d, withW, withB, offset, seed }) => {
      const shape = [...lead, d];
      const n = shape.reduce((a, c) => a * c, 1);
      const x = tf.tensor(randArray(n, seed, 2).map((v) => v + offset), shape);
      const w = withW ? tf.tensor(randArray(d, seed + 1, 1.5), [d]) : null;
      const b = useBias && withB ? tf.tensor(randArray(d, seed + 2), [d]) : null;
      const probe = tf.tensor(randArray(n, seed + 3), shape);
      const got = valueAndGrads(fused, x, w, b, probe);
      const want = valueAndGrads(ref, x, w, b, probe);
      expect(got.length).toBe(want.length);
      const names = ['value', 'dx', 'dw/db', 'db'];
      got.forEach((g, i) => expectClose(g, want[i], { atol: 2e-4, rtol: 2e-3 }, `${what} ${names[i]} [${shape}]`));
      tf.dispose([x, probe, ...(w ? [w] : []), ...(b ? [b] : [])]);
    }),
    { numRuns: 15 },
  );
}

describeBackends('fused norms', () => {
  it('layerNorm (fused) equals the autodiff formula: value and gradients (property)', () => {
    check(layerNorm, layerNormReference, true, 'layerNorm');
  });

  it('rmsNorm (fused) equals the autodiff formula: value and gradients (property)', () => {
    check((x, w) => rmsNorm(x, w), (x, w) => rmsNormReference(x, w), false, 'rmsNorm');
  });

  it('falls back to the formula for params that are not [D]', () => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const w = tf.tensor([[1, 2, 3]]);
    const y = layerNorm(x, w, null);
    const r = layerNormReference(x, w, null);
    expectClose(y.dataSync(), r.dataSync(), { atol: 1e-6, rtol: 0 }, 'fallback');
    tf.dispose([x, w, y, r]);
  });

  it('forward and backward leak no tensors', async () => {
    const x = tf.randomNormal([3, 5]);
    const w = tf.variable(tf.ones([5]));
    const b = tf.variable(tf.zeros([5]));
    const step = () => tf.tidy(() => tf.grads((a: Tensor, c: Tensor, e: Tensor) => tf.sum(tf.square(layerNorm(a, c, e))))([x, w, b]));
    await expectNoLeaks(step, { what: 'layerNorm grads' });
    await expectNoLeaks(() => tf.variableGrads(() => tf.sum(rmsNorm(x, w)) as tf.Scalar, [w]), { what: 'rmsNorm variableGrads' });
    tf.dispose([x, w, b]);
  });
});
