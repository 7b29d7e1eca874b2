import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { siluGate } from '../nn/activations.js';
import { randArray } from '../nn/reference.test_util.js';
import { nativeKernels, nativeStatus, useNativeMatmul } from '../kernels/native.js';
import { nativeSiluGate, nativeSiluGateServes, SILU_GATE_GRAD_KERNEL, SILU_GATE_KERNEL } from './silu_gate.js';

type Gate = (x: Tensor, up?: Tensor) => Tensor;

/** The value (from `value`) and the gradients of Σ siluGate(x, up)·probe with respect to x (and up), read back. */
function valueAndGrads(value: Gate, x: Tensor, up: Tensor | undefined, probe: Tensor): Float32Array[] {
  const outs = tf.tidy(() => {
    const f = (...a: Tensor[]) => tf.sum(tf.mul(siluGate(a[0], a[1]), probe));
    return [value(x, up), ...tf.grads(f)(up ? [x, up] : [x])];
  });
  const arrays = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return arrays;
}

const serves = () => nativeKernels()?.siluGate !== undefined;
const why = () => nativeStatus().reason ?? 'addon without siluGate';

describeBackends('SiLU gate on the native path', () => {
  it('value and gradients equal the tfjs formula on the cpu backend, fused gate_up and two inputs, large gates included (property)', () => {
    if (!serves()) return void expect(why()).not.toBe('');
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 0, maxLength: 2 }),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        fc.constantFrom(1, 4, 40),
        fc.integer({ min: 1, max: 1e6 }),
        (lead, n, pair, scale, seed) => {
          const shape = [...lead, pair ? n : 2 * n];
          const size = shape.reduce((a, c) => a * c, 1);
          const x = tf.tensor(randArray(size, seed, scale), shape);
          const up = pair ? tf.tensor(randArray(size, seed + 1, 2), shape) : undefined;
          const probe = tf.tensor(randArray(size / (pair ? 1 : 2), seed + 2), [...lead, n]);
          expect(nativeSiluGateServes(x, up)).toBe(true);
          const got = valueAndGrads(nativeSiluGate, x, up, probe);
          const backend = tf.getBackend();
          tf.setBackend('cpu');
          useNativeMatmul(false);
          const copies = [x, up, probe].map((t) => t && tf.tensor(t.dataSync(), t.shape));
          const want = valueAndGrads((a, b) => tf.tidy(() => siluGate(a, b).clone()), copies[0]!, copies[1], copies[2]!);
          tf.dispose(copies.filter((t): t is Tensor => t !== undefined));
          useNativeMatmul(true);
          tf.setBackend(backend);
          ['value', 'dx', 'dup'].slice(0, got.length).forEach((name, i) => expectClose(got[i], want[i], { atol: 1e-5, rtol: 1e-4 }, `${name} [${shape}]${pair ? ' pair' : ' fused'}`));
          tf.dispose([x, probe, ...(up ? [up] : [])]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('runs one kernel forward and one backward under a tape', async () => {
    if (!serves()) return void expect(why()).not.toBe('');
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
