import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { rmsNorm, rmsNormReference } from '../nn/norms.js';
import { applyRotary } from '../nn/rope.js';
import { qkvHeads } from '../nn/qkv_heads.js';
import { silu, siluGate } from '../nn/activations.js';
import { randArray } from '../nn/reference.test_util.js';

/** The kernels an inference-mode call of `f` ran (by name). */
async function kernelsOf(f: () => Tensor): Promise<string[]> {
  const p = await tf.profile(() => f());
  return p.kernels.map((k) => k.name);
}

/** f's value and the gradient of Σ f(x)·probe with respect to x: the second runs under a tape, so the differentiable path. */
function valueAndGrad(f: (x: Tensor) => Tensor, x: Tensor, probe: Tensor): [Float32Array, Float32Array] {
  const [v, g] = tf.tidy(() => [f(x), tf.grad((xx: Tensor) => tf.sum(tf.mul(f(xx), probe)))(x)]);
  const out: [Float32Array, Float32Array] = [v.dataSync() as Float32Array, g.dataSync() as Float32Array];
  tf.dispose([v, g]);
  return out;
}

/** The unfused formulas, in plain tfjs ops. */
const rotaryRef = (x: Tensor, cos: Tensor, sin: Tensor) =>
  tf.tidy(() => {
    const [x1, x2] = tf.split(x, 2, -1);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
  });
const siluGateRef = (g: Tensor, u: Tensor) => tf.tidy(() => tf.mul(tf.mul(g, tf.sigmoid(g)), u));

const TOL = { atol: 1e-5, rtol: 1e-5 };
const seeds = fc.integer({ min: 1, max: 1e6 });

describeBackends('fused decode-step kernels', () => {
  it('rmsNorm outside a tape runs one kernel and matches the unfused formula; under a tape its gradient is the formula’s (property)', async () => {
    expect(await kernelsOf(() => tf.tidy(() => rmsNorm(tf.ones([2, 8]), tf.ones([8]))))).toContain('HealthgptRmsNorm');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 70 }), fc.double({ min: 1e-8, max: 1e-2, noNaN: true }), seeds, (rows, d, eps, seed) => {
        const x = tf.tensor2d(randArray(rows * d, seed, 3), [rows, d]);
        const w = tf.tensor1d(randArray(d, seed + 1, 2));
        const probe = tf.tensor2d(randArray(rows * d, seed + 2), [rows, d]);
        const got = valueAndGrad((t) => rmsNorm(t, w, eps), x, probe);
        const want = valueAndGrad((t) => rmsNormReference(t, w, eps), x, probe);
        expectClose(got[0], want[0], { atol: 2e-5, rtol: 2e-5 }, `rmsNorm value [${rows}, ${d}]`);
        expectClose(got[1], want[1], { atol: 2e-4, rtol: 2e-3 }, `rmsNorm dx [${rows}, ${d}]`);
        tf.dispose([x, w, probe]);
      }),
      { numRuns: 25 },
    );
  });

  it('applyRotary outside a tape runs one kernel with the float32 rounding of the unfused ops; gradients unchanged (property)', async () => {
    expect(await kernelsOf(() => tf.tidy(() => applyRotary(tf.ones([1, 2, 1, 4]), tf.ones([1, 1, 1, 4]), tf.ones([1, 1, 1, 4]))))).toContain('HealthgptRotary');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), seeds, (b, h, t, half, shared, seed) => {
        const d = 2 * half;
        const cb = shared ? 1 : b;
        const x = tf.tensor4d(randArray(b * h * t * d, seed, 2), [b, h, t, d]);
        const cos = tf.tensor4d(randArray(cb * t * d, seed + 1), [cb, 1, t, d]);
        const sin = tf.tensor4d(randArray(cb * t * d, seed + 2), [cb, 1, t, d]);
        const probe = tf.tensor4d(randArray(b * h * t * d, seed + 3), [b, h, t, d]);
        const got = valueAndGrad((v) => applyRotary(v, cos, sin), x, probe);
        const want = valueAndGrad((v) => rotaryRef(v, cos, sin), x, probe);
        expectClose(got[0], want[0], { atol: 0, rtol: 0 }, `rotary value [${b}, ${h}, ${t}, ${d}]`);
        expectClose(got[1], want[1], TOL, `rotary dx [${b}, ${h}, ${t}, ${d}]`);
        tf.dispose([x, cos, sin, probe]);
      }),
      { numRuns: 25 },
    );
  });

  it('siluGate (halves of one input, or gate and up) outside a tape runs one kernel and matches silu(gate)·up; gradients unchanged (property)', async () => {
    expect(await kernelsOf(() => tf.tidy(() => siluGate(tf.ones([1, 4]))))).toContain('HealthgptSiluGate');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), seeds, (rows, n, halves, seed) => {
        const x = tf.tensor2d(randArray(rows * 2 * n, seed, 4), [rows, 2 * n]);
        const probe = tf.tensor2d(randArray(rows * n, seed + 1), [rows, n]);
        const fused = (v: Tensor) => (halves ? siluGate(v) : tf.tidy(() => siluGate(...(tf.split(v, 2, -1) as [Tensor, Tensor]))));
        const ref = (v: Tensor) => tf.tidy(() => siluGateRef(...(tf.split(v, 2, -1) as [Tensor, Tensor])));
        const got = valueAndGrad(fused, x, probe);
        const want = valueAndGrad(ref, x, probe);
        expectClose(got[0], want[0], TOL, `siluGate value [${rows}, ${2 * n}]`);
        expectClose(got[1], want[1], TOL, `siluGate dx [${rows}, ${2 * n}]`);
        tf.dispose([x, probe]);
      }),
      { numRuns: 25 },
    );
  });

  it('qkvHeads outside a tape runs one kernel and gives the bits of split + splitHeads + applyRotary; gradients unchanged (property)', async () => {
    const tab = () => tf.ones([1, 1, 1, 4]);
    expect(await kernelsOf(() => tf.tidy(() => qkvHeads(tf.ones([1, 16]), { heads: 2, kvHeads: 1, t: 1, cos: tab(), sin: tab() }).q))).toContain('HealthgptQkvHeads');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), seeds, (b, hkv, rep, t, half, shared, seed) => {
        const [h, hd, cb] = [hkv * rep, 2 * half, shared ? 1 : b];
        const w = (h + 2 * hkv) * hd;
        const x = tf.tensor2d(randArray(b * t * w, seed, 2), [b * t, w]);
        const cos = tf.tensor4d(randArray(cb * t * hd, seed + 1), [cb, 1, t, hd]);
        const sin = tf.tensor4d(randArray(cb * t * hd, seed + 2), [cb, 1, t, hd]);
        const opts = { heads: h, kvHeads: hkv, t, cos, sin };
        const fused = tf.tidy(() => Object.values(qkvHeads(x, opts)).map((y) => y.reshape([-1])).reduce((a, c) => tf.concat([a, c])));
        // Under a tape: the unfused ops (value and gradient of Σ over all three with one probe each).
        const probe = tf.tensor1d(randArray(fused.size, seed + 3));
        const all = (v: Tensor) => tf.tidy(() => Object.values(qkvHeads(v, opts)).map((y) => y.reshape([-1])).reduce((a, c) => tf.concat([a, c])));
        const { value, grad } = tf.tidy(() => tf.valueAndGrad((v: Tensor) => tf.sum(tf.mul(all(v), probe)))(x));
        const taped = tf.tidy(() => {
          let y: Tensor | null = null;
          tf.grad((v: Tensor) => tf.sum((y = tf.keep(all(v)))))(x);
          return y!;
        });
        expectClose(fused.dataSync(), taped.dataSync(), { atol: 0, rtol: 0 }, `qkvHeads [${b}·${t}, (${h} + 2·${hkv})·${hd}]`);
        const wantValue = tf.tidy(() => tf.sum(tf.mul(fused, probe)));
        expectClose(value.dataSync(), wantValue.dataSync(), TOL, 'qkvHeads Σ value');
        expect(grad.shape).toEqual(x.shape);
        tf.dispose([x, cos, sin, fused, probe, value, grad, taped, wantValue]);
      }),
      { numRuns: 25 },
    );
    expect(() => qkvHeads(tf.ones([1, 15]), { heads: 2, kvHeads: 1, t: 1, cos: tab(), sin: tab() })).toThrow(/even headDim/);
    expect(() => qkvHeads(tf.ones([1, 16]), { heads: 2, kvHeads: 1, t: 1, cos: tf.ones([1, 1, 1, 2]), sin: tab() })).toThrow(/'cos' and 'sin'/);
  });

  it('siluGate checks its arguments and agrees with silu', () => {
    const g = tf.tensor2d([[-2, 0.5, 3]]);
    expect(() => siluGate(g)).toThrow(/even last axis/);
    expect(() => siluGate(g, tf.ones([1, 2]))).toThrow(/shape of 'x'/);
    const got = tf.tidy(() => siluGate(g, tf.onesLike(g)));
    const want = tf.tidy(() => silu(g));
    expectClose(got.dataSync(), want.dataSync(), TOL, 'siluGate(g, 1)');
    tf.dispose([g, got, want]);
  });

  it('the fused ops leak no tensor', async () => {
    const x = tf.tensor4d(randArray(2 * 3 * 2 * 8, 5), [2, 3, 2, 8]);
    const tab = tf.tensor4d(randArray(2 * 2 * 8, 6), [2, 1, 2, 8]);
    const w = tf.ones([8]);
    const qkv = tf.ones([4, 4 * 8]);
    const tab1 = tf.ones([2, 1, 2, 8]);
    await expectNoLeaks(() => [rmsNorm(x, w), applyRotary(x, tab, tab), siluGate(x), siluGate(x, x), qkvHeads(qkv, { heads: 2, kvHeads: 1, t: 2, cos: tab1, sin: tab1 })], { what: 'fused ops' });
    tf.dispose([qkv, tab1]);
    tf.dispose([x, tab, w]);
  });
});
