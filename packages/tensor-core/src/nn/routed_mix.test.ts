import { it, expect } from 'vitest';
import fc from 'fast-check';
import { tf, TensorCoreError } from '@healthgpt/tensor-core';
import { routedMix } from '@healthgpt/tensor-core/internal';
import { describeBackends, expectNoLeaks, expectWithinAllowance } from '@healthgpt/testing';
import { nativeKernels, useNativeMatmul } from '../kernels/native.js';
import { kernelMissing } from '../native/native_kernels.test_util.js';

/** y and du = ∂(Σ y·dy)/∂u in float64, straight from the formula y_c = h_c · softmax(l)_{c/rₑ} · s. */
function reference(u: Float32Array, dy: Float32Array, n: number, r: number, k: number, s: number) {
  const re = r / k;
  const y = new Float64Array(n * r);
  const du = new Float64Array(n * (r + k));
  // The size of the sums behind each gradient entry: float32 code that sums them (the tfjs ops) is off by a few ulps of this, not of the result.
  const scale = new Float64Array(n * (r + k));
  for (let row = 0; row < n; row++) {
    const at = row * (r + k);
    const l = Array.from({ length: k }, (_, j) => u[at + r + j]);
    const m = Math.max(...l);
    const e = l.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    const g = e.map((v) => v / z);
    const dg = new Array<number>(k).fill(0);
    const dgAbs = new Array<number>(k).fill(0);
    for (let c = 0; c < r; c++) {
      const j = Math.floor(c / re);
      y[row * r + c] = u[at + c] * g[j] * s;
      du[at + c] = dy[row * r + c] * g[j] * s;
      scale[at + c] = Math.abs(du[at + c]);
      dg[j] += dy[row * r + c] * u[at + c] * s;
      dgAbs[j] += Math.abs(dy[row * r + c] * u[at + c] * s);
    }
    const dot = g.reduce((a, gj, j) => a + gj * dg[j], 0);
    const dotAbs = g.reduce((a, gj, j) => a + gj * dgAbs[j], 0);
    for (let j = 0; j < k; j++) {
      du[at + r + j] = g[j] * (dg[j] - dot);
      scale[at + r + j] = g[j] * (dgAbs[j] + dotAbs);
    }
  }
  return { y, du, scale };
}

const values = (len: number, seed: number, scale: number) => Float32Array.from({ length: len }, (_, i) => Math.fround(Math.sin(seed * 1.3 + i * 0.71) * scale));

/** |got − want| ≤ tol·(1 + |want|), plus 8 float32 ulps of the summed magnitude behind each entry when `scale` is given (gradients whose sums cancel). */
function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 2e-6, scale?: ArrayLike<number>): void {
  // One assertion for the whole array (an `expect` per entry made the native property take minutes on a loaded machine).
  expectWithinAllowance(got, want, Array.from(want, (w, i) => tol * (1 + Math.abs(w)) + (scale ? 2 ** -20 * scale[i] : 0)), what);
}

/** Value and gradient of routedMix on [n, r + k] data. */
function run(u: Float32Array, dy: Float32Array, n: number, r: number, k: number, s: number) {
  return tf.tidy(() => {
    const ut = tf.tensor2d(u, [n, r + k]);
    const dyt = tf.tensor2d(dy, [n, r]);
    const y = routedMix(ut, r, k, s);
    const du = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(routedMix(x, r, k, s), dyt)))(ut);
    return { y: y.dataSync().slice(), du: du.dataSync().slice() };
  });
}

const shapes = fc.record({ n: fc.integer({ min: 1, max: 6 }), k: fc.constantFrom(1, 2, 4, 8), re: fc.integer({ min: 1, max: 4 }), s: fc.double({ min: 0.1, max: 8, noNaN: true }), seed: fc.integer({ min: 0, max: 999 }), spread: fc.double({ min: 0.1, max: 30, noNaN: true }) });

describeBackends('routedMix (the routed low-rank mixture of H-LoRA)', () => {
  it('value and gradient equal the float64 formula on random shapes, gates and logit spreads (property)', () => {
    fc.assert(
      fc.property(shapes, ({ n, k, re, s, seed, spread }) => {
        const r = k * re;
        const u = values(n * (r + k), seed, 1);
        for (let row = 0; row < n; row++) for (let j = 0; j < k; j++) u[row * (r + k) + r + j] = Math.fround(u[row * (r + k) + r + j] * spread); // large spreads: a near one-hot gate
        const dy = values(n * r, seed + 7, 2);
        const got = run(u, dy, n, r, k, s);
        const want = reference(u, dy, n, r, k, s);
        expectNear(got.y, want.y, 'y');
        expectNear(got.du, want.du, 'du');
      }),
      { numRuns: 40 },
    );
  });

  it('keeps leading axes and gives the same values through the tfjs-ops formula of backends without the fused kernels', () => {
    const [n, r, k, s] = [5, 12, 4, 2.5];
    const u = values(n * (r + k), 3, 2);
    const dy = values(n * r, 4, 1);
    const fused = run(u, dy, n, r, k, s);
    const shaped = tf.tidy(() => routedMix(tf.tensor3d(u, [1, n, r + k]), r, k, s).shape);
    expect(shaped).toEqual([1, n, r]);
    const saved = ['HealthgptRoutedMix', 'HealthgptRoutedMixGrad'].map((name) => tf.getKernel(name, tf.getBackend())!);
    saved.forEach((c) => tf.unregisterKernel(c.kernelName, c.backendName));
    try {
      const plain = run(u, dy, n, r, k, s);
      expectNear(plain.y, fused.y, 'y');
      expectNear(plain.du, fused.du, 'du');
    } finally {
      saved.forEach((c) => tf.registerKernel(c));
    }
  });

  it('leaks no tensor forward or backward', async () => {
    const u = tf.tensor2d(values(3 * 10, 1, 1), [3, 10]);
    await expectNoLeaks(() => {
      tf.dispose(routedMix(u, 8, 2, 1.5));
      tf.dispose(tf.grad((x: tf.Tensor) => tf.sum(routedMix(x, 8, 2, 1.5)))(u));
    });
    u.dispose();
  });

  it('runs the native kernels when the addon has them, equal to the wasm/cpu loops (native off) and to the tfjs-ops formula, up to k = 32 and over many row blocks (property)', () => {
    const addon = nativeKernels() as { routedMix?: unknown; routedMixGrad?: unknown } | null;
    if (kernelMissing(addon?.routedMix !== undefined && addon.routedMixGrad !== undefined)) return;
    const calls: string[] = [];
    const spied = ['routedMix', 'routedMixGrad'].map((name) => {
      // The addon's functions are read-only properties: spy on the kernels' use of them through the kernel configs instead.
      const config = tf.getKernel(name === 'routedMix' ? 'HealthgptRoutedMix' : 'HealthgptRoutedMixGrad', tf.getBackend())!;
      const inner = config.kernelFunc;
      config.kernelFunc = ((args: Parameters<tf.KernelFunc>[0]) => {
        calls.push(`${name}:${nativeKernels() ? 'native' : 'loop'}`);
        return inner(args);
      }) as tf.KernelFunc;
      return () => (config.kernelFunc = inner);
    });
    const saved = ['HealthgptRoutedMix', 'HealthgptRoutedMixGrad'].map((name) => tf.getKernel(name, tf.getBackend())!);
    try {
      fc.assert(
        fc.property(
          // k from 16 up takes the addon's lane reductions; rₑ 1, 2, 4 and 8 its constant-width loops, 3 and 16 the general ones.
          fc.record({ n: fc.integer({ min: 1, max: 400 }), k: fc.constantFrom(1, 2, 4, 8, 17, 32), re: fc.constantFrom(1, 2, 3, 4, 8, 16), s: fc.double({ min: 0.1, max: 8, noNaN: true }), seed: fc.integer({ min: 0, max: 999 }), spread: fc.double({ min: 0.1, max: 30, noNaN: true }) }),
          ({ n, k, re, s, seed, spread }) => {
            const r = k * re;
            const u = values(n * (r + k), seed, 1);
            for (let row = 0; row < n; row++) for (let j = 0; j < k; j++) u[row * (r + k) + r + j] = Math.fround(u[row * (r + k) + r + j] * spread);
            const dy = values(n * r, seed + 11, 2);
            const native = run(u, dy, n, r, k, s);
            useNativeMatmul(false);
            let loop: ReturnType<typeof run>;
            try {
              loop = run(u, dy, n, r, k, s);
            } finally {
              useNativeMatmul(true);
            }
            saved.forEach((c) => tf.unregisterKernel(c.kernelName, c.backendName));
            let plain: ReturnType<typeof run>;
            try {
              plain = run(u, dy, n, r, k, s);
            } finally {
              saved.forEach((c) => tf.registerKernel(c));
            }
            // Within 2e-6 of the float64 formula, as the loop is (so within twice that of it). The tfjs ops round every partial sum to float32:
            // their gate gradients, sums of up to r terms that cancel, are off by a few ulps of the terms' total size, which can be far above 1e-5·|result|.
            const exact = reference(u, dy, n, r, k, s);
            for (const [what, want, tol] of [['float64 formula', exact, 2e-6], ['loop', loop, 4e-6], ['tfjs ops', plain, 1e-5]] as const) {
              expectNear(native.y, want.y, `y against the ${what}`, tol);
              expectNear(native.du, want.du, `du against the ${what}`, tol, what === 'tfjs ops' ? exact.scale : undefined);
            }
          },
        ),
        // The example is a case CI found where the tfjs ops' gate gradient was 1.2e-5 off on a result of 0.19: its terms summed to ~100.
        // The second and third: H-LoRA's k = 32, r = 64 (lanes, rₑ = 2) and a lane tail (k = 17, rₑ = 4).
        {
          numRuns: 20,
          examples: [
            [{ n: 174, k: 8, re: 8, s: 7.199998140335084, seed: 991, spread: 15.075934626790657 }],
            [{ n: 300, k: 32, re: 2, s: 64, seed: 5, spread: 12 }],
            [{ n: 37, k: 17, re: 4, s: 1.5, seed: 9, spread: 3 }],
          ],
        },
      );
    } finally {
      spied.forEach((restore) => restore());
    }
    expect(new Set(calls)).toEqual(new Set(['routedMix:native', 'routedMixGrad:native', 'routedMix:loop', 'routedMixGrad:loop']));
  });

  it('refuses a rank count that is not a multiple of the expert count, or a wrong last axis', () => {
    const u = tf.zeros([2, 10]);
    expect(() => routedMix(u, 7, 3, 1)).toThrow(TensorCoreError);
    expect(() => routedMix(u, 6, 2, 1)).toThrow(/\[\.\.\., 8\]/);
    u.dispose();
  });
});
