import { expect, it } from 'vitest';
import { tf } from '@healthgpt/tensor-core';
import { describeBackends, expectNoLeaks } from '@healthgpt/testing';
import { codebookUsage, psnr, ssim } from './index.js';
import { phantoms } from './phantoms.test_util.js';

describeBackends('metrics', () => {
  it('PSNR: infinite for identical images, 20 dB for a 0.1 offset on the [0, 1] scale', async () => {
    await expectNoLeaks(() => {
      const a = tf.zeros([2, 3, 16, 16]);
      const b = tf.fill([2, 3, 16, 16], 0.2); // 0.1 on [0, 1]
      expect(psnr(a, a)).toEqual([Infinity, Infinity]);
      psnr(a, b).forEach((p) => expect(p).toBeCloseTo(20, 4));
      return [a, b];
    });
  });

  it('SSIM: 1 for identical images, lower under noise, lower still for unrelated images', async () => {
    await expectNoLeaks(() => {
      const x = phantoms(2, { size: 32, seed: 1 });
      const noisy = tf.tidy(() => tf.clipByValue(tf.add(x, tf.randomNormal(x.shape, 0, 0.1, 'float32', 3)), -1, 1));
      const other = phantoms(2, { size: 32, seed: 2 });
      const same = ssim(x, x);
      same.forEach((s) => expect(s).toBeCloseTo(1, 5));
      const n = ssim(x, noisy);
      const o = ssim(x, other);
      n.forEach((s, i) => {
        expect(s).toBeLessThan(0.99);
        expect(o[i]).toBeLessThan(s);
      });
      return [x, noisy, other];
    });
  });

  it('codebook usage: perplexity n for uniform use, 1 for one code; dead codes counted', () => {
    expect(codebookUsage([0, 1, 2, 3], 4)).toMatchObject({ used: 4, dead: 0 });
    expect(codebookUsage([0, 1, 2, 3], 4).perplexity).toBeCloseTo(4, 10);
    const one = codebookUsage([2, 2, 2], 8);
    expect(one.perplexity).toBeCloseTo(1, 10);
    expect(one.dead).toBe(7);
    expect(() => codebookUsage([9], 8)).toThrow(/\[0, 8\)/);
  });
});
