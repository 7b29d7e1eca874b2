import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { siluGate } from '../nn/activations.js';
import { nativeKernels, useNativeMatmul } from '../kernels/native.js';
import { kernelMissing, onCpuReference, readBack, seeded } from './native_kernels.test_util.js';
import { nativeSiluGate, nativeSiluGateServes, SILU_GATE_GRAD_KERNEL, SILU_GATE_KERNEL } from './silu_gate.js';

type Gate = (x: Tensor, up?: Tensor) => Tensor;

/** The value (from `value`) and the gradients of Σ siluGate(x, up)·probe with respect to x (and up), read back. */
function valueAndGrads(value: Gate, x: Tensor, up: Tensor | undefined, probe: Tensor): Float32Array[] {
  const f = (...a: Tensor[]) => tf.sum(tf.mul(siluGate(a[0], a[1]), probe));
  return readBack(tf.tidy(() => [value(x, up), ...tf.grads(f)(up ? [x, up] : [x])]));
}

const serves = () => nativeKernels()?.siluGate !== undefined;

describeBackends('SiLU gate on the native path', () => {
  it('value and gradients equal the tfjs formula on the cpu backend, fused gate_up and two inputs, large gates included (property)', () => {
    if (kernelMissing(serves())) return;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        fc.constantFrom(1, 4, 40),
        fc.integer({ min: 1, max: 1e6 }),
        (lead, n, pair, scale, seed) => {
          const shape = [...lead, pair ? n : 2 * n];
          const x = seeded(shape, seed, scale);
          const up = pair ? seeded(shape, seed + 1, 2) : undefined;
          const probe = seeded([...lead, n], seed + 2);
          expect(nativeSiluGateServes(x, up)).toBe(true);
          const got = valueAndGrads(nativeSiluGate, x, up, probe);
          const want = onCpuReference(up ? [x, probe, up] : [x, probe], ([xc, pc, uc]) => valueAndGrads((a, b) => tf.tidy(() => siluGate(a, b).clone()), xc, uc, pc));
          ['value', 'dx', 'dup'].slice(0, got.length).forEach((name, i) => expectClose(got[i], want[i], { atol: 1e-5, rtol: 1e-4 }, `${name} [${shape}]${pair ? ' pair' : ' fused'}`));
          tf.dispose([x, probe, ...(up ? [up] : [])]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('runs one kernel forward and one backward under a tape', async () => {
    if (kernelMissing(serves())) return;
    const x = tf.randomNormal([6, 64]);
    const { kernels } = await tf.profile(() => tf.grads((a: Tensor) => tf.sum(siluGate(a)))([x]));
    const names = kernels.map((k) => k.name);
    expect(names.filter((k) => k === SILU_GATE_KERNEL)).toHaveLength(1);
    expect(names.filter((k) => k === SILU_GATE_GRAD_KERNEL)).toHaveLength(1);
    expect(names).not.toContain('Sigmoid');
    tf.dispose(x);
  });

  it('is off with the native path off', () => {
    const x = tf.randomNormal([4, 8]);
    useNativeMatmul(false);
    expect(nativeSiluGateServes(x)).toBe(false);
    useNativeMatmul(true);
    expect(nativeSiluGateServes(x)).toBe(serves());
    tf.dispose(x);
  });

  it('forward and backward leak no tensors', async () => {
    const x = tf.variable(tf.randomNormal([3, 40]));
    const up = tf.variable(tf.randomNormal([3, 20]));
    const g = tf.randomNormal([3, 20]);
    await expectNoLeaks(() => tf.variableGrads(() => tf.sum(siluGate(x)) as tf.Scalar, [x]), { what: 'fused siluGate variableGrads' });
    await expectNoLeaks(() => tf.tidy(() => tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.square(siluGate(a, b))))([g, up])), { what: 'siluGate(gate, up) grads' });
    tf.dispose([x, up, g]);
  });
});
