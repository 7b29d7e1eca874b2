import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { applyRotary } from '../nn/rope.js';
import { nativeKernels, useNativeMatmul } from '../kernels/native.js';
import { kernelMissing, onCpuReference, readBack, seeded } from './native_kernels.test_util.js';
import { nativeRotary, nativeRotaryServes, ROTARY_KERNEL } from './rotary.js';

/** The value (from `value`) and the gradient of Σ applyRotary(x)·probe with respect to x, read back. */
function valueAndGrad(value: (x: Tensor) => Tensor, x: Tensor, cos: Tensor, sin: Tensor, probe: Tensor): Float32Array[] {
  return readBack(tf.tidy(() => [value(x), ...tf.grads((a: Tensor) => tf.sum(tf.mul(applyRotary(a, cos, sin), probe)))([x])]));
}

const serves = () => nativeKernels()?.rotary !== undefined;

describeBackends('RoPE on the native path', () => {
  it('value and gradient equal the tfjs formula on the cpu backend, tables shared or per batch (property)', () => {
    if (kernelMissing(serves())) return;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (b, h, t, half, shared, seed) => {
        const [shape, table] = [[b, h, t, 2 * half], [shared ? 1 : b, 1, t, 2 * half]];
        const [x, cos, sin, probe] = [seeded(shape, seed, 2), seeded(table, seed + 1), seeded(table, seed + 2), seeded(shape, seed + 3)];
        expect(nativeRotaryServes(x, cos, sin)).toBe(true);
        const got = valueAndGrad((a) => nativeRotary(a, cos, sin), x, cos, sin, probe);
        const want = onCpuReference([x, cos, sin, probe], ([xc, cc, sc, pc]) => valueAndGrad((a) => tf.tidy(() => applyRotary(a, cc, sc).clone()), xc, cc, sc, pc));
        ['value', 'dx'].forEach((name, i) => expectClose(got[i], want[i], { atol: 1e-6, rtol: 1e-5 }, `${name} [${shape}] tables [${table}]`));
        tf.dispose([x, cos, sin, probe]);
      }),
      { numRuns: 25 },
    );
  });

  it('runs one kernel forward and one backward, no concat', async () => {
    if (kernelMissing(serves())) return;
    const x = tf.randomNormal([2, 2, 5, 8]);
    const [cos, sin] = [tf.randomNormal([1, 1, 5, 8]), tf.randomNormal([1, 1, 5, 8])];
    const { kernels } = await tf.profile(() => tf.grads((a: Tensor) => tf.sum(applyRotary(a, cos, sin)))([x]));
    const names = kernels.map((k) => k.name);
    expect(names.filter((k) => k === ROTARY_KERNEL)).toHaveLength(2);
    expect(names).not.toContain('Concat');
    tf.dispose([x, cos, sin]);
  });

  it('is off with the native path off, and for tables it cannot broadcast', () => {
    const x = tf.randomNormal([2, 2, 5, 8]);
    const good = tf.ones([2, 1, 5, 8]);
    const perHead = tf.ones([2, 2, 5, 8]);
    expect(nativeRotaryServes(x, perHead, perHead)).toBe(false);
    useNativeMatmul(false);
    expect(nativeRotaryServes(x, good, good)).toBe(false);
    useNativeMatmul(true);
    expect(nativeRotaryServes(x, good, good)).toBe(serves());
    tf.dispose([x, good, perHead]);
  });

  it('forward and backward leak no tensors', async () => {
    const x = tf.variable(tf.randomNormal([2, 2, 5, 8]));
    const [cos, sin] = [tf.randomNormal([1, 1, 5, 8]), tf.randomNormal([1, 1, 5, 8])];
    await expectNoLeaks(() => tf.variableGrads(() => tf.sum(applyRotary(x, cos, sin)) as tf.Scalar, [x]), { what: 'applyRotary variableGrads' });
    tf.dispose([x, cos, sin]);
  });
});
