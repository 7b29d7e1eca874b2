import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, qkvHeads, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks, randomValues, wasmAndCpu, withoutNativePath } from '@healthgpt/testing';

/** qkvHeads as the unfused ops tfjs differentiates: split, heads transposed, x·cos + [−x₂; x₁]·sin. */
function reference(x: Tensor, cos: Tensor, sin: Tensor, h: number, hkv: number, t: number): Tensor[] {
  const hd = x.shape[1]! / (h + 2 * hkv);
  const b = x.shape[0]! / t;
  const heads = (y: Tensor, n: number) => y.reshape([b, t, n, hd]).transpose([0, 2, 1, 3]);
  const rope = (y: Tensor) => {
    const [y1, y2] = tf.split(y, 2, -1);
    return tf.add(tf.mul(y, cos), tf.mul(tf.concat([tf.neg(y2), y1], -1), sin));
  };
  const [q, k, v] = tf.split(x, [h * hd, hkv * hd, hkv * hd], -1);
  return [rope(heads(q, h)), rope(heads(k, hkv)), heads(v, hkv)];
}

/** q, k, v and the gradient of Σ q·wq + Σ k·wk (+ Σ v·wv when `useV`) with respect to x. */
function valueAndGrad(f: (x: Tensor) => Tensor[], x: Tensor, ws: Tensor[], useV: boolean): Float32Array[] {
  const values: Float32Array[] = [];
  const dx = tf.grad((a: Tensor) => {
    const outs = f(a);
    values.push(...outs.map((o) => o.dataSync() as Float32Array));
    return tf.addN(outs.slice(0, useV ? 3 : 2).map((o, i) => tf.sum(tf.mul(o, ws[i]))));
  })(x);
  const out = [...values, dx.dataSync() as Float32Array];
  dx.dispose();
  return out;
}

describeBackends(
  'qkvHeads under a gradient tape on wasm without the native addon: one SIMD kernel each way',
  () => {
    withoutNativePath(); // the native kernels would serve it otherwise

    it('gives the bits of the unfused ops, values and input gradient, with shared or per-batch tables (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 2 }),
          fc.constantFrom(8, 16, 64),
          fc.boolean(),
          fc.boolean(),
          fc.integer({ min: 1, max: 1e6 }),
          (b, t, h, hkv, hd, perBatch, useV, seed) => {
            const cb = perBatch ? b : 1;
            tf.tidy(() => {
              const w = (h + 2 * hkv) * hd;
              const x = tf.tensor(randomValues(b * t * w, seed), [b * t, w]);
              // Arbitrary tables (halves not equal), so the backward's index pairing is checked too.
              const cos = tf.tensor(randomValues(cb * t * hd, seed + 1), [cb, 1, t, hd]);
              const sin = tf.tensor(randomValues(cb * t * hd, seed + 2), [cb, 1, t, hd]);
              const ws = [h, hkv, hkv].map((n, i) => tf.tensor(randomValues(b * n * t * hd, seed + 3 + i), [b, n, t, hd]));
              const fused = valueAndGrad((a) => Object.values(qkvHeads(a, { heads: h, kvHeads: hkv, t, cos, sin })), x, ws, useV);
              const ref = valueAndGrad((a) => reference(a, cos, sin, h, hkv, t), x, ws, useV);
              fused.forEach((got, i) => expect(got).toEqual(ref[i]));
            });
          },
        ),
        { numRuns: 40 },
      );
    });

    it('runs HealthgptQkvHeads and its gradient kernel instead of splits, transposes and concats, and leaks nothing', async () => {
      const [b, t, h, hkv, hd] = [2, 3, 2, 1, 8];
      const x = tf.tensor(randomValues(b * t * (h + 2 * hkv) * hd, 4), [b * t, (h + 2 * hkv) * hd]);
      const cos = tf.tensor(randomValues(t * hd, 5), [1, 1, t, hd]);
      const sin = tf.tensor(randomValues(t * hd, 6), [1, 1, t, hd]);
      const grad = () => tf.grad((a: Tensor) => tf.addN(Object.values(qkvHeads(a, { heads: h, kvHeads: hkv, t, cos, sin })).map((o) => tf.sum(o))))(x);
      const names = (await tf.profile(() => tf.tidy(grad))).kernelNames;
      expect(names).toEqual(expect.arrayContaining(['HealthgptQkvHeads', 'HealthgptQkvHeadsGrad']));
      for (const k of ['Transpose', 'SplitV', 'Concat', 'HealthgptRotary']) expect(names).not.toContain(k);
      await expectNoLeaks(grad, { what: 'fused qkvHeads forward and backward' });
      tf.dispose([x, cos, sin]);
    });

    it('keeps the unfused ops when hd is not a multiple of 8', async () => {
      const x = tf.tensor(randomValues(2 * 18, 7), [2, 18]);
      const cos = tf.ones([1, 1, 2, 6]);
      const sin = tf.zeros([1, 1, 2, 6]);
      const names = (await tf.profile(() => tf.tidy(() => tf.grad((a: Tensor) => tf.sum(qkvHeads(a, { heads: 1, kvHeads: 1, t: 2, cos, sin }).q))(x)))).kernelNames;
      expect(names).not.toContain('HealthgptQkvHeadsGrad');
      tf.dispose([x, cos, sin]);
    });
  },
  { only: ['wasm'] },
);

it('HealthgptQkvHeadsGrad: the wasm SIMD kernel and the cpu loop give the same bits', async () => {
  const [b, t, h, hkv, hd] = [2, 5, 3, 1, 16];
  const make = (n: number, seed: number) => tf.tensor(randomValues(b * n * t * hd, seed), [b, n, t, hd]);
  const { wasm, cpu } = await wasmAndCpu(() =>
    tf.engine().runKernel('HealthgptQkvHeadsGrad', { dq: make(h, 1), dk: make(hkv, 2), dv: make(hkv, 3), cos: tf.tensor(randomValues(b * t * hd, 4), [b, 1, t, hd]), sin: tf.tensor(randomValues(b * t * hd, 5), [b, 1, t, hd]) }, {}) as Tensor,
  );
  expect(wasm.shape).toEqual([b * t, (h + 2 * hkv) * hd]);
  expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
});
