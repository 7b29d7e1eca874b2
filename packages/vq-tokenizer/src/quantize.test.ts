// What the Gumbel quantizer means, tested by its meaning rather than by snapshots:
// - soft (hard: false) codes are softmax((logits + g) / τ) for Gumbel noise g: with the same noise,
//   the output at τ is softmax(log(output at τ = 1) / τ), so a quantizer that ignores τ, or scales
//   only the logits or only the noise, fails;
// - sampled codes follow softmax(logits) (the Gumbel-max trick, whatever τ): a chi-square test on
//   hand-set logits catches a flipped noise sign (argmax(l − g) is not softmax-distributed), no
//   noise at all, or a τ applied to part of the sum.
import { expect, it } from 'vitest';
import { tf, type Tensor } from '@healthgpt/tensor-core';
import { describeBackends, expectClose, expectNoLeaks } from '@healthgpt/testing';
import { GumbelQuantize } from './index.js';

const LOGITS = [-1, 0, 1, 2, 0.5, -0.5];
const N = LOGITS.length;

/** A quantizer whose logits are its input (proj = identity) and whose codebook is the identity, so zq shows the code weights. */
function identityQuantizer(): GumbelQuantize {
  const q = new GumbelQuantize(N, N, N, 0);
  const eye = tf.eye(N);
  q.loadStateDict({ 'proj.weight': eye.reshape([N, N, 1, 1]), 'proj.bias': tf.zeros([N]), 'embed.weight': eye });
  return q;
}

/** h [1, N, side, side] with logits[c] at every position of channel c. */
const constantLogits = (side: number) => tf.tidy(() => tf.tile(tf.tensor4d(LOGITS, [1, N, 1, 1]), [1, 1, side, side]));

/** Code weights per position: zq [1, N, h, w] → rows [h·w][N]. */
function rows(zq: Tensor): number[][] {
  const t = tf.tidy(() => tf.transpose(zq, [0, 2, 3, 1]).reshape([-1, N]));
  const out = t.arraySync() as number[][];
  t.dispose();
  return out;
}

const softmax = (x: number[]) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describeBackends('GumbelQuantize sampling', () => {
  it('soft codes at temperature τ are softmax(log(soft codes at τ = 1) / τ) for the same noise, rows summing to 1', () => {
    const q = identityQuantizer();
    const h = tf.tidy(() => tf.add(constantLogits(4), tf.mul(tf.randomNormal([1, N, 4, 4], 0, 1, 'float32', 3), 2)));
    const logits = rows(h);
    for (const seed of [1, 2]) {
      const soft = (temperature: number) => {
        const out = q.trainForward(h, { temperature, hard: false, seed });
        const r = rows(out.zq);
        tf.dispose([out.zq, out.loss, out.indices]);
        return r;
      };
      const base = soft(1);
      // The noise is there: τ = 1 is not softmax(logits) itself.
      expect(Math.max(...base.map((r, i) => Math.max(...r.map((v, c) => Math.abs(v - softmax(logits[i])[c])))))).toBeGreaterThan(0.05);
      for (const tau of [0.25, 0.5, 2, 4]) {
        const got = soft(tau);
        const expected = base.map((r) => softmax(r.map((p) => Math.log(p) / tau)));
        expectClose(got.flat(), expected.flat(), { atol: 2e-5, rtol: 1e-4 }, `τ = ${tau}, seed ${seed}`);
        got.forEach((r) => expect(Math.abs(r.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5));
      }
    }
    h.dispose();
    q.dispose();
  });

  it('hard codes are one-hot in the forward pass, at the argmax of the soft codes', () => {
    const q = identityQuantizer();
    const h = constantLogits(4);
    const hard = q.trainForward(h, { temperature: 0.7, hard: true, seed: 9 });
    const soft = q.trainForward(h, { temperature: 0.7, hard: false, seed: 9 });
    const idx = Array.from(hard.indices.dataSync());
    rows(hard.zq).forEach((r, i) => expect(r).toEqual(LOGITS.map((_, c) => (c === idx[i] ? 1 : 0))));
    rows(soft.zq).forEach((r, i) => expect(r.indexOf(Math.max(...r))).toBe(idx[i]));
    tf.dispose([hard.zq, hard.loss, hard.indices, soft.zq, soft.loss, soft.indices, h]);
    q.dispose();
  });

  it('sampled codes follow softmax(logits) at any temperature (chi-square, 5 degrees of freedom)', () => {
    // 64 × 64 = 4096 positions, each an independent draw with the same hand-set logits. The
    // threshold 20.52 is the chi-square 0.999 quantile for 5 degrees of freedom: a correct sampler
    // exceeds it with probability 0.1 % per seed (the seeds are fixed, so the test is
    // deterministic), while a flipped noise sign gives an expected statistic of ~395 here
    // (its code frequencies are 0.003, 0.035, 0.21, 0.65, 0.094, 0.011 against softmax's
    // 0.024, 0.064, 0.17, 0.47, 0.11, 0.039), and no noise at all gives thousands.
    const CRITICAL = 20.52;
    const q = identityQuantizer();
    const h = constantLogits(64);
    const p = softmax(LOGITS);
    for (const [temperature, seed] of [[1, 11], [0.5, 12], [2, 13]]) {
      const out = q.trainForward(h, { temperature, hard: true, seed });
      const codes = Array.from(out.indices.dataSync());
      tf.dispose([out.zq, out.loss, out.indices]);
      const counts = LOGITS.map((_, c) => codes.filter((k) => k === c).length);
      const chi2 = counts.reduce((s, o, c) => s + (o - codes.length * p[c]) ** 2 / (codes.length * p[c]), 0);
      expect(chi2, `τ ${temperature}, seed ${seed}: counts ${counts} vs expected ${p.map((x) => (x * codes.length).toFixed(0))}`).toBeLessThan(CRITICAL);
    }
    h.dispose();
    q.dispose();
  });

  it('a training forward of the quantizer leaks nothing', async () => {
    const q = identityQuantizer();
    const h = constantLogits(4);
    await expectNoLeaks(() => q.trainForward(h, { temperature: 0.5, hard: true, seed: 1, diversity: 0.1 }), { what: 'trainForward' });
    h.dispose();
    q.dispose();
  });
});
