import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { int8Linear, quantizeInt8, INT8_DIRECT_ROWS } from '@healthgpt/tensor-core/internal';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { randArray } from '../nn/reference.test_util.js';

/** int8Linear's value outside a tape (the HealthgptInt8Rows kernel) and under one (the gradient wrapper), and dy/dx there. */
function bothPaths(x: Tensor, w: ReturnType<typeof quantizeInt8>, bias: Tensor | null, probe: Tensor) {
  const infer = tf.tidy(() => int8Linear(x, w, bias));
  const { value, grad } = tf.tidy(() => tf.valueAndGrad((xx: Tensor) => tf.sum(tf.mul(int8Linear(xx, w, bias), probe)))(x));
  const taped = tf.tidy(() => {
    let y: Tensor | null = null;
    tf.grad((xx: Tensor) => {
      y = tf.keep(int8Linear(xx, w, bias));
      return tf.sum(y);
    })(x);
    return y!;
  });
  const out = { infer: infer.dataSync().slice(), taped: taped.dataSync().slice(), value: value.dataSync()[0], grad: grad.dataSync().slice() };
  tf.dispose([infer, taped, value, grad]);
  return out;
}

describeBackends('int8Linear inference kernel (few rows, no tape)', () => {
  it('runs one HealthgptInt8Rows kernel for decoding rows and none under a tape', async () => {
    const w = quantizeInt8(tf.tidy(() => tf.sin(tf.linspace(0, 9, 12 * 8)).reshape([12, 8])));
    const x = tf.ones([1, 1, 8]);
    const names = (await tf.profile(() => tf.tidy(() => int8Linear(x, w)))).kernels.map((k) => k.name);
    expect(names).toContain('HealthgptInt8Rows');
    const taped = (await tf.profile(() => tf.tidy(() => tf.grad((xx: Tensor) => tf.sum(int8Linear(xx, w)))(x)))).kernels.map((k) => k.name);
    expect(taped).not.toContain('HealthgptInt8Rows');
    x.dispose();
  });

  it('equals the taped path bit for bit, with and without bias, and gradients still reach x (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: INT8_DIRECT_ROWS }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (rows, out, inF, withBias, seed) => {
        const wf = tf.tensor2d(randArray(out * inF, seed, 1), [out, inF]);
        const w = quantizeInt8(wf);
        const x = tf.tensor3d(randArray(rows * inF, seed + 1, 2), [1, rows, inF]);
        const bias = withBias ? tf.tensor1d(randArray(out, seed + 2)) : null;
        const probe = tf.tensor3d(randArray(rows * out, seed + 3), [1, rows, out]);
        const r = bothPaths(x, w, bias, probe);
        expect(Buffer.from(r.infer.buffer).equals(Buffer.from(r.taped.buffer))).toBe(true);
        // dy/dx of Σ y·probe = probe · (q·s): the dequantized weight, in float64.
        const want = new Float64Array(rows * inF);
        for (let n = 0; n < rows; n++)
          for (let i = 0; i < inF; i++) {
            let acc = 0;
            for (let o = 0; o < out; o++) acc += probe.dataSync()[n * out + o] * w.q[o * inF + i] * w.scales[o];
            want[n * inF + i] = acc;
          }
        expectClose(r.grad, want, { atol: 1e-5, rtol: 1e-4 }, `dx [${rows}, ${inF}]`);
        tf.dispose([wf, x, probe, ...(bias ? [bias] : [])]);
      }),
      { numRuns: 25 },
    );
  });

  it('leaks no tensor', async () => {
    const w = quantizeInt8(tf.tidy(() => tf.cos(tf.linspace(0, 5, 6 * 4)).reshape([6, 4])));
    const x = tf.ones([2, 4]);
    const b = tf.ones([6]);
    await expectNoLeaks(() => [int8Linear(x, w), int8Linear(x, w, b)], { what: 'int8Linear inference kernel' });
    tf.dispose([x, b]);
  });
});
