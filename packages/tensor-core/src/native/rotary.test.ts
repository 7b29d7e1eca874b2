import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { applyRotary } from '../nn/rope.js';
import { randArray } from '../nn/reference.test_util.js';
import { nativeKernels, nativeStatus, useNativeMatmul } from '../kernels/native.js';
import { nativeRotary, nativeRotaryServes, ROTARY_KERNEL } from './rotary.js';

/** The value (from `value`) and the gradient of Σ applyRotary(x)·probe with respect to x, read back. */
function valueAndGrad(value: (x: Tensor) => Tensor, x: Tensor, cos: Tensor, sin: Tensor, probe: Tensor): Float32Array[] {
  const outs = tf.tidy(() => [value(x), ...tf.grads((a: Tensor) => tf.sum(tf.mul(applyRotary(a, cos, sin), probe)))([x])]);
  const arrays = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return arrays;
}

const serves = () => nativeKernels()?.rotary !== undefined;
const why = () => nativeStatus().reason ?? 'addon without rotary';

describeBackends('RoPE on the native path', () => {
  it('value and gradient equal the tfjs formula on the cpu backend, tables shared or per batch (property)', () => {
    if (!serves()) return void expect(why()).not.toBe('');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (b, h, t, half, shared, seed) => {
        const d = 2 * half;
        const cb = shared ? 1 : b;
        const x = tf.tensor(randArray(b * h * t * d, seed, 2), [b, h, t, d]);
        const cos = tf.tensor(randArray(cb * t * d, seed + 1), [cb, 1, t, d]);
        const sin = tf.tensor(randArray(cb * t * d, seed + 2), [cb, 1, t, d]);
        const probe = tf.tensor(randArray(b * h * t * d, seed + 3), [b, h, t, d]);
        expect(nativeRotaryServes(x, cos, sin)).toBe(true);
        const got = valueAndGrad((a) => nativeRotary(a, cos, sin), x, cos, sin, probe);
        const backend = tf.getBackend();
        tf.setBackend('cpu');
        useNativeMatmul(false);
        const [xc, cc, sc, pc] = [x, cos, sin, probe].map((v) => tf.tensor(v.dataSync(), v.shape));
        const want = valueAndGrad((a) => tf.tidy(() => applyRotary(a, cc, sc).clone()), xc, cc, sc, pc);
        tf.dispose([xc, cc, sc, pc]);
        useNativeMatmul(true);
        tf.setBackend(backend);
        ['value', 'dx'].forEach((name, i) => expectClose(got[i], want[i], { atol: 1e-6, rtol: 1e-5 }, `${name} [${b}, ${h}, ${t}, ${d}] tables ${cb}`));
        tf.dispose([x, cos, sin, probe]);
      }),
      { numRuns: 25 },
    );
  });

  it('runs one kernel forward and one backward, no concat', async () => {
    if (!serves()) return void expect(why()).not.toBe('');
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
