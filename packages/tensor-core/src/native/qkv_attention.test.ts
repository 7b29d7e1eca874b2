import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { qkvAttention } from '../nn/qkv_heads.js';
import { attentionMask } from '../nn/attention_mask.js';
import { nativeKernels } from '../kernels/native.js';
import { kernelMissing, onCpuReference, readBack, seeded } from './native_kernels.test_util.js';
import { QKV_ATTENTION_GRAD_KERNEL, QKV_ATTENTION_KERNEL } from './qkv_attention.js';

interface Case {
  heads: number;
  kvHeads: number;
  t: number;
}

/** qkvAttention's value and the gradient of Σ qkvAttention(x)·probe with respect to x, read back. */
function valueAndGrad(x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor | null, probe: Tensor, c: Case): Float32Array[] {
  const f = (a: Tensor) => qkvAttention(a, { ...c, cos, sin, mask });
  return readBack(tf.tidy(() => [f(x), ...tf.grads((a: Tensor) => tf.sum(tf.mul(f(a), probe)))([x])]));
}

const serves = () => nativeKernels()?.qkvAttention !== undefined;

/** A mask for b rows of t positions: none, causal, causal with padded keys (some rows see nothing at 0), or a random bias per batch row. */
function maskOf(kind: string, b: number, t: number, seed: number): Tensor | null {
  if (kind === 'none') return null;
  if (kind === 'bias') return seeded([b, 1, 1, t], seed, 3);
  const keys = kind === 'causal+keys' ? tf.tensor2d(Int32Array.from(seeded([b, t], seed).dataSync(), (v, i) => (i % t === 0 && Math.floor(i / t) % 2 === 1 ? 0 : v > -0.5 ? 1 : 0)), [b, t], 'int32') : undefined;
  const m = attentionMask(t, t, { causal: true, keyMask: keys });
  keys?.dispose();
  return m;
}

describeBackends('attention from a fused q/k/v projection on the native path', () => {
  it('value and gradient equal qkvHeads → scaledDotProductAttention → mergeHeads on the cpu backend (property)', () => {
    if (kernelMissing(serves())) return;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.constantFrom('none', 'causal', 'causal+keys', 'bias'), fc.integer({ min: 1, max: 1e6 }), (b, kvHeads, rep, t, half, shared, kind, seed) => {
        const c: Case = { heads: kvHeads * rep, kvHeads, t };
        const d = 2 * half;
        const [xs, table] = [[b * t, (c.heads + 2 * kvHeads) * d], [shared ? 1 : b, 1, t, d]];
        const [x, cos, sin, probe] = [seeded(xs, seed, 2), seeded(table, seed + 1), seeded(table, seed + 2), seeded([b * t, c.heads * d], seed + 3)];
        const mask = maskOf(kind, b, t, seed + 4);
        const got = valueAndGrad(x, cos, sin, mask, probe, c);
        const want = onCpuReference(mask ? [x, cos, sin, probe, mask] : [x, cos, sin, probe], ([xc, cc, sc, pc, mc]) => valueAndGrad(xc, cc, sc, mc ?? null, pc, c));
        ['value', 'dx'].forEach((name, i) => expectClose(got[i], want[i], { atol: 2e-5, rtol: 1e-4 }, `${name} x [${xs}] heads ${c.heads}/${kvHeads} tables [${table}] ${kind}`));
        tf.dispose([x, cos, sin, probe, ...(mask ? [mask] : [])]);
      }),
      { numRuns: 40 },
    );
  });

  it('runs one kernel forward and one backward: no split, transpose, concat or softmax', async () => {
    if (kernelMissing(serves())) return;
    const x = tf.randomNormal([2 * 5, 3 * 2 * 8]);
    const [cos, sin] = [tf.randomNormal([1, 1, 5, 8]), tf.randomNormal([1, 1, 5, 8])];
    const mask = attentionMask(5, 5, { causal: true });
    const { kernels } = await tf.profile(() => tf.grads((a: Tensor) => tf.sum(qkvAttention(a, { heads: 2, kvHeads: 2, t: 5, cos, sin, mask })))([x]));
    const names = kernels.map((k) => k.name);
    expect(names.filter((k) => k === QKV_ATTENTION_KERNEL)).toHaveLength(1);
    expect(names.filter((k) => k === QKV_ATTENTION_GRAD_KERNEL)).toHaveLength(1);
    for (const k of ['SplitV', 'Transpose', 'Concat', 'Softmax']) expect(names).not.toContain(k);
    tf.dispose([x, cos, sin, mask!]);
  });

  it('forward and backward leak no tensors', async () => {
    const x = tf.variable(tf.randomNormal([2 * 6, 3 * 2 * 8]));
    const [cos, sin] = [tf.randomNormal([2, 1, 6, 8]), tf.randomNormal([2, 1, 6, 8])];
    const mask = attentionMask(6, 6, { causal: true });
    const opts = { heads: 2, kvHeads: 2, t: 6, cos, sin, mask };
    await expectNoLeaks(() => tf.variableGrads(() => tf.sum(qkvAttention(x, opts)) as tf.Scalar, [x]), { what: 'qkvAttention variableGrads' });
    await expectNoLeaks(() => qkvAttention(x, opts), { what: 'qkvAttention forward' });
    tf.dispose([x, cos, sin, mask!]);
  });
});
