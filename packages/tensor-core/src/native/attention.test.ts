import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { scaledDotProductAttention } from '../nn/attention.js';
import { nativeKernels, useNativeMatmul } from '../kernels/native.js';
import { kernelMissing, onCpuReference, readBack, seeded } from './native_kernels.test_util.js';
import { ATTENTION_GRAD_KERNEL, ATTENTION_KERNEL, nativeAttentionServes } from './attention.js';

type Masking = { causal: boolean; keyMask?: Tensor; bias?: Tensor };

/** The attention's value and the gradients of Σ attention·probe with respect to q, k and v, read back. */
function valueAndGrads(q: Tensor, k: Tensor, v: Tensor, probe: Tensor, m: Masking): Float32Array[] {
  const f = (a: Tensor, b: Tensor, c: Tensor) => scaledDotProductAttention(a, b, c, m);
  return readBack(tf.tidy(() => [f(q, k, v), ...tf.grads((a: Tensor, b: Tensor, c: Tensor) => tf.sum(tf.mul(f(a, b, c), probe)))([q, k, v])]));
}

const serves = () => nativeKernels()?.attention !== undefined;

/** A key mask [b, tk] of 0/1 from a seed, with key 0 hidden in every other row (rows that see no key at all). */
function keyMaskOf(b: number, tk: number, seed: number): Tensor {
  const r = seeded([b, tk], seed).dataSync();
  return tf.tensor2d(Int32Array.from(r, (x, i) => (i % tk === 0 && Math.floor(i / tk) % 2 === 1 ? 0 : x > -0.5 ? 1 : 0)), [b, tk], 'int32');
}

describeBackends('attention on the native path', () => {
  it('value and gradients equal the tfjs path on the cpu backend: causal, padded, biased, grouped heads (property)', () => {
    if (kernelMissing(serves())) return;
    const kinds = ['none', 'causal', 'causal+keys', 'bias2d', 'bias4d'] as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(...kinds), fc.integer({ min: 1, max: 1e6 }), (b, hkv, rep, tq, extra, d, kind, seed) => {
        const tk = tq + (kind === 'none' || kind.startsWith('bias') ? extra : 0);
        const [qs, ks] = [[b, hkv * rep, tq, d], [b, hkv, tk, d]];
        const [q, k, v, probe] = [seeded(qs, seed, 2), seeded(ks, seed + 1, 2), seeded(ks, seed + 2), seeded(qs, seed + 3)];
        const m: Masking = { causal: kind.startsWith('causal') };
        if (kind === 'causal+keys') m.keyMask = keyMaskOf(b, tk, seed + 4);
        if (kind === 'bias2d') m.bias = seeded([tq, tk], seed + 5, 3);
        if (kind === 'bias4d') m.bias = seeded([b, 1, 1, tk], seed + 5, 3);
        const extras = [m.keyMask, m.bias].filter((t): t is Tensor => t !== undefined);
        const got = valueAndGrads(q, k, v, probe, m);
        const want = onCpuReference([q, k, v, probe, ...extras], ([qc, kc, vc, pc, ...ec]) => {
          const mc: Masking = { causal: m.causal, keyMask: m.keyMask && ec[0], bias: m.bias && ec[m.keyMask ? 1 : 0] };
          if (mc.keyMask) mc.keyMask = mc.keyMask.cast('int32');
          return valueAndGrads(qc, kc, vc, pc, mc);
        });
        ['value', 'dq', 'dk', 'dv'].forEach((name, i) => expectClose(got[i], want[i], { atol: 2e-5, rtol: 1e-4 }, `${name} q [${qs}] k [${ks}] ${kind}`));
        tf.dispose([q, k, v, probe, ...extras]);
      }),
      { numRuns: 40 },
    );
  });

  it('runs one kernel forward and one backward, no softmax', async () => {
    if (kernelMissing(serves())) return;
    const [q, k, v] = [tf.randomNormal([2, 2, 5, 8]), tf.randomNormal([2, 2, 5, 8]), tf.randomNormal([2, 2, 5, 8])];
    const { kernels } = await tf.profile(() => tf.grads((a: Tensor) => tf.sum(scaledDotProductAttention(a, k, v, { causal: true })))([q]));
    const names = kernels.map((x) => x.name);
    expect(names.filter((x) => x === ATTENTION_KERNEL)).toHaveLength(1);
    expect(names.filter((x) => x === ATTENTION_GRAD_KERNEL)).toHaveLength(1);
    expect(names).not.toContain('Softmax');
    tf.dispose([q, k, v]);
  });

  it('is off with the native path off, for per-head biases and for other dtypes', () => {
    const [q, k] = [tf.randomNormal([2, 2, 5, 8]), tf.randomNormal([2, 1, 5, 8])];
    const perHead = tf.zeros([2, 2, 5, 5]);
    const shared = tf.zeros([2, 1, 5, 5]);
    const ints = tf.zeros([2, 2, 5, 8], 'int32');
    expect(nativeAttentionServes(q, k, k, perHead)).toBe(false);
    expect(nativeAttentionServes(ints, k, k, null)).toBe(false);
    useNativeMatmul(false);
    expect(nativeAttentionServes(q, k, k, shared)).toBe(false);
    useNativeMatmul(true);
    expect(nativeAttentionServes(q, k, k, shared)).toBe(serves());
    tf.dispose([q, k, perHead, shared, ints]);
  });

  it('forward and backward leak no tensors', async () => {
    const q = tf.variable(tf.randomNormal([2, 2, 6, 8]));
    const [k, v] = [tf.randomNormal([2, 2, 6, 8]), tf.randomNormal([2, 2, 6, 8])];
    const bias = tf.randomNormal([6, 6]);
    await expectNoLeaks(() => tf.variableGrads(() => tf.sum(scaledDotProductAttention(q, k, v, { causal: true, bias })) as tf.Scalar, [q]), { what: 'attention variableGrads' });
    await expectNoLeaks(() => scaledDotProductAttention(q, k, v, { causal: true }), { what: 'attention forward' });
    tf.dispose([q, k, v, bias]);
  });
});
