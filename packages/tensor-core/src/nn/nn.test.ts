import { it, expect } from 'vitest';
import fc from 'fast-check';
import {
  tf,
  layerNorm,
  rmsNorm,
  groupNorm,
  gelu,
  geluTanh,
  quickGelu,
  silu,
  activation,
  conv2d,
  Conv2d,
  Dropout,
  Embedding,
  LayerNorm,
  RMSNorm,
  GroupNorm,
  crossEntropy,
  TensorCoreError,
} from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { randArray, erf } from './reference.test_util.js';

const small = fc.integer({ min: 1, max: 5 });

describeBackends('nn blocks', () => {
  it('layerNorm matches the float64 formula (property)', () => {
    fc.assert(
      fc.property(small, fc.integer({ min: 2, max: 17 }), fc.integer({ min: 1, max: 1e6 }), (rows, d, seed) => {
        const x = randArray(rows * d, seed, 3);
        const w = randArray(d, seed + 1);
        const b = randArray(d, seed + 2);
        const ref = new Float64Array(rows * d);
        for (let r = 0; r < rows; r++) {
          let m = 0;
          for (let j = 0; j < d; j++) m += x[r * d + j] / d;
          let v = 0;
          for (let j = 0; j < d; j++) v += (x[r * d + j] - m) ** 2 / d;
          for (let j = 0; j < d; j++) ref[r * d + j] = ((x[r * d + j] - m) / Math.sqrt(v + 1e-5)) * w[j] + b[j];
        }
        const y = tf.tidy(() => layerNorm(tf.tensor(x, [rows, d]), tf.tensor(w), tf.tensor(b), 1e-5));
        expectClose(y.dataSync(), ref, { atol: 1e-4, rtol: 1e-4 }, 'layerNorm');
        y.dispose();
      }),
      { numRuns: 15 },
    );
  });

  it('rmsNorm matches w·x·rsqrt(mean(x²)+eps) (property)', () => {
    fc.assert(
      fc.property(small, fc.integer({ min: 1, max: 17 }), fc.integer({ min: 1, max: 1e6 }), (rows, d, seed) => {
        const x = randArray(rows * d, seed, 3);
        const w = randArray(d, seed + 1);
        const ref = new Float64Array(rows * d);
        for (let r = 0; r < rows; r++) {
          let ms = 0;
          for (let j = 0; j < d; j++) ms += x[r * d + j] ** 2 / d;
          for (let j = 0; j < d; j++) ref[r * d + j] = w[j] * x[r * d + j] / Math.sqrt(ms + 1e-6);
        }
        const y = tf.tidy(() => rmsNorm(tf.tensor(x, [rows, d]), tf.tensor(w), 1e-6));
        expectClose(y.dataSync(), ref, { atol: 1e-4, rtol: 1e-4 }, 'rmsNorm');
        y.dispose();
      }),
      { numRuns: 15 },
    );
  });

  it('groupNorm normalises per group of C/G channels × H × W (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 1e6 }), (b, g, cpg, hw, seed) => {
        const c = g * cpg;
        const n = b * c * hw * hw;
        const x = randArray(n, seed, 2);
        const w = randArray(c, seed + 1);
        const bias = randArray(c, seed + 2);
        const ref = new Float64Array(n);
        const size = cpg * hw * hw;
        for (let i = 0; i < b; i++)
          for (let gi = 0; gi < g; gi++) {
            const off = (i * c + gi * cpg) * hw * hw;
            let m = 0;
            for (let k = 0; k < size; k++) m += x[off + k] / size;
            let v = 0;
            for (let k = 0; k < size; k++) v += (x[off + k] - m) ** 2 / size;
            for (let k = 0; k < size; k++) {
              const ch = gi * cpg + Math.floor(k / (hw * hw));
              ref[off + k] = ((x[off + k] - m) / Math.sqrt(v + 1e-6)) * w[ch] + bias[ch];
            }
          }
        const y = tf.tidy(() => groupNorm(tf.tensor(x, [b, c, hw, hw]), g, tf.tensor(w), tf.tensor(bias), 1e-6));
        expectClose(y.dataSync(), ref, { atol: 2e-4, rtol: 1e-4 }, 'groupNorm');
        y.dispose();
      }),
      { numRuns: 15 },
    );
  });

  it('activations match their formulas', () => {
    const xs = Array.from({ length: 41 }, (_, i) => (i - 20) / 4);
    const x = tf.tensor(xs);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const cases: [string, tf.Tensor, (v: number) => number][] = [
      ['gelu', gelu(x), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
      ['geluTanh', geluTanh(x), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
      ['quickGelu', quickGelu(x), (v) => v * sig(1.702 * v)],
      ['silu', silu(x), (v) => v * sig(v)],
    ];
    for (const [name, y, f] of cases) {
      expectClose(y.dataSync(), xs.map(f), { atol: 2e-6, rtol: 1e-5 }, name);
      y.dispose();
    }
    // erf GELU and tanh GELU differ (by up to ~4.7e-4 on the projector fixture): they must not be confused.
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(gelu(x), geluTanh(x)))).dataSync()[0]);
    expect(d).toBeGreaterThan(1e-4);
    expect(activation('quick_gelu')).toBe(quickGelu);
    expect(() => activation('swiglu')).toThrow(/unknown activation 'swiglu'/);
    x.dispose();
  });

  it('conv2d matches a direct NCHW cross-correlation with asymmetric padding and (unequal) strides (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          b: fc.integer({ min: 1, max: 2 }),
          cin: fc.integer({ min: 1, max: 3 }),
          cout: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 3, max: 7 }),
          k: fc.integer({ min: 1, max: 3 }),
          stride: fc.oneof(fc.integer({ min: 1, max: 2 }), fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))),
          pad: fc.tuple(fc.nat(1), fc.nat(1), fc.nat(1), fc.nat(1)),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ b, cin, cout, h, k, stride, pad, seed }) => {
          const [sh, sw] = typeof stride === 'number' ? [stride, stride] : stride;
          const w = h;
          const x = randArray(b * cin * h * w, seed);
          const wt = randArray(cout * cin * k * k, seed + 1);
          const bias = randArray(cout, seed + 2);
          const [pt, pb, pl, pr] = pad;
          const ho = Math.floor((h + pt + pb - k) / sh) + 1;
          const wo = Math.floor((w + pl + pr - k) / sw) + 1;
          const ref = new Float64Array(b * cout * ho * wo);
          for (let n = 0; n < b; n++)
            for (let o = 0; o < cout; o++)
              for (let i = 0; i < ho; i++)
                for (let j = 0; j < wo; j++) {
                  let s = bias[o];
                  for (let c = 0; c < cin; c++)
                    for (let u = 0; u < k; u++)
                      for (let v = 0; v < k; v++) {
                        const y = i * sh + u - pt;
                        const xx = j * sw + v - pl;
                        if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                        s += x[((n * cin + c) * h + y) * w + xx] * wt[((o * cin + c) * k + u) * k + v];
                      }
                  ref[((n * cout + o) * ho + i) * wo + j] = s;
                }
          const out = tf.tidy(() => conv2d(tf.tensor(x, [b, cin, h, w]), tf.tensor(wt, [cout, cin, k, k]), tf.tensor(bias), { stride, padding: [pt, pb, pl, pr] }));
          expect(out.shape).toEqual([b, cout, ho, wo]);
          expectClose(out.dataSync(), ref, { atol: 1e-4, rtol: 1e-4 }, 'conv2d');
          out.dispose();
        },
      ),
      { numRuns: 15 },
    );
  });

  it('crossEntropy skips ignore_index and averages over supervised labels', () => {
    const logits = randArray(4 * 5, 9, 2);
    const labels = [3, -100, 0, 4];
    let s = 0;
    let n = 0;
    for (let r = 0; r < 4; r++) {
      if (labels[r] === -100) continue;
      const row = Array.from(logits.slice(r * 5, r * 5 + 5));
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      s += lse - row[labels[r]];
      n++;
    }
    const loss = tf.tidy(() => crossEntropy(tf.tensor(logits, [2, 2, 5]), tf.tensor(labels, [2, 2], 'int32')));
    expectClose(loss.dataSync(), [s / n], { atol: 1e-5, rtol: 1e-5 }, 'loss');
    const none = tf.tidy(() => crossEntropy(tf.tensor(logits, [4, 5]), tf.fill([4], -100, 'int32')));
    expect(none.dataSync()[0]).toBe(0);
    tf.dispose([loss, none]);
    expect(() => crossEntropy(tf.zeros([2, 5]), tf.zeros([3], 'int32'))).toThrow(/'labels' \[3\] passed to 'crossEntropy' must match/);
  });

  it('Dropout is seeded, scales by 1/(1−p), and is the identity in eval mode', () => {
    const x = tf.ones([1000]);
    const a = new Dropout(0.25, { seed: 11 });
    const b = new Dropout(0.25, { seed: 11 });
    const ya = a.forward(x);
    const yb = b.forward(x);
    expect(Array.from(ya.dataSync())).toEqual(Array.from(yb.dataSync()));
    const vals = new Set(Array.from(ya.dataSync()).map((v) => v.toFixed(5)));
    expect([...vals].sort()).toEqual(['0.00000', '1.33333']);
    const kept = Array.from(ya.dataSync()).filter((v) => v > 0).length;
    expect(kept).toBeGreaterThan(680);
    expect(kept).toBeLessThan(820);
    a.eval();
    const ye = a.forward(x);
    expect(Array.from(ye.dataSync()).every((v) => v === 1)).toBe(true);
    expect(() => new Dropout(1)).toThrow(TensorCoreError);
    tf.dispose([x, ya, yb, ye]);
  });

  it('Embedding gathers rows and refuses float ids', () => {
    const e = new Embedding(10, 4);
    const ids = tf.tensor([[3, 1], [0, 9]], [2, 2], 'int32');
    const y = e.forward(ids);
    expect(y.shape).toEqual([2, 2, 4]);
    expectClose(y.dataSync().slice(0, 4), e.weight.dataSync().slice(12, 16), { atol: 0 }, 'row 3');
    expect(() => e.forward(tf.zeros([2]))).toThrow(/'ids' passed to 'Embedding' must be int32/);
    tf.dispose([ids, y]);
    e.dispose();
  });

  it('nn modules leak nothing in forward', async () => {
    const mods = { ln: new LayerNorm(8), rms: new RMSNorm(8), gn: new GroupNorm(2, 4), conv: new Conv2d(4, 3, 3, { padding: 1 }) };
    const x = tf.randomNormal([2, 8]);
    const img = tf.randomNormal([1, 4, 5, 5]);
    await expectNoLeaks(() => [mods.ln.forward(x), mods.rms.forward(x), mods.gn.forward(img), mods.conv.forward(img)], { what: 'nn forwards' });
    tf.dispose([x, img]);
    Object.values(mods).forEach((m) => m.dispose());
  });
});

describeBackends('conv2d gradients', (backend) => {
  it('equal the stock tfjs gradients, for stride 1 and 2 with asymmetric padding (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 8 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 2), fc.tuple(fc.nat(1), fc.nat(1), fc.nat(1), fc.nat(1)), fc.integer({ min: 1, max: 1e6 }), (hw, cin, k, stride, pad, seed) => {
        tf.tidy(() => {
          const x = tf.tensor(randArray(2 * cin * hw * (hw + 1), seed), [2, cin, hw, hw + 1]);
          const w = tf.tensor(randArray(3 * cin * k * k, seed + 1), [3, cin, k, k]);
          const b = tf.tensor(randArray(3, seed + 2));
          const y = conv2d(x, w, b, { stride, padding: pad });
          const probe = tf.tensor(randArray(y.size, seed + 3), y.shape);
          const ours = tf.grads((a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(conv2d(a, f, c, { stride, padding: pad }), probe)))([x, w, b]);
          // The stock kernels' gradient, on the cpu backend (wasm has no Conv2DBackpropFilter of its own).
          const [pt, pb, pl, pr] = pad;
          const stock = (a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) =>
            tf.add(tf.conv2d(tf.transpose(a, [0, 2, 3, 1]) as tf.Tensor4D, tf.transpose(f, [2, 3, 1, 0]) as tf.Tensor4D, stride, [[0, 0], [pt, pb], [pl, pr], [0, 0]]), c).transpose([0, 3, 1, 2]);
          const ref = tf.grads((a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(stock(a, f, c), probe)))([x, w, b]);
          ['dx', 'dw', 'db'].forEach((name, i) => expectClose(ours[i], ref[i], { atol: 1e-4, rtol: 1e-4 }, `${name} [${backend}]`));
        });
      }),
      { numRuns: 12 },
    );
  });
});
