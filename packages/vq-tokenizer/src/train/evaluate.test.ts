import { expect, it } from 'vitest';
import { describeBackends } from '@healthgpt/testing';
import { VQTokenizer, evaluateTokenizer, toUint8HWC } from '../index.js';
import { trainConfig } from '../test_configs.test_util.js';
import { phantoms } from '../phantoms.test_util.js';

describeBackends(
  'evaluateTokenizer',
  () => {
    it('accepts RawImages and tensors alike and reports PSNR, SSIM and codebook usage', () => {
      const images = phantoms(2, { size: 8, seed: 11 });
      const model = new VQTokenizer(trainConfig(), { seed: 1 });
      const a = evaluateTokenizer(model, toUint8HWC(images));
      const b = evaluateTokenizer(model, images);
      expect(a.images).toBe(2);
      expect(a.psnr).toBeGreaterThan(0);
      expect(b.psnr).toBeGreaterThan(0);
      expect(a.ssim).toBeNaN(); // 8 px is below the 11×11 SSIM window
      expect(a.usedCodes + a.deadCodes).toBe(16);
      expect(a.perplexity).toBeGreaterThanOrEqual(1);
      images.dispose();
      model.dispose();
    });
  },
  { only: ['cpu'] },
);
