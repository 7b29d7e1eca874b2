import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { expectClose, expectEqualInts, loadGolden, ioTensor, type Golden } from '@healthgpt/testing';
import { preprocessSteps, preprocessImage } from './preprocess.js';
import { resolveImageProcessorConfig, type CLIPImageProcessorConfig } from './processor_config.js';
import { meanColour } from './expand2square.js';

describe('preprocessing parity (clip_vision_tiny preproc goldens)', () => {
  let g: Golden;
  let cfg: CLIPImageProcessorConfig;

  beforeAll(async () => {
    g = await loadGolden('clip_vision_tiny');
    cfg = resolveImageProcessorConfig(g.config.preprocessor_config as Record<string, unknown>);
  });

  afterAll(() => g.dispose());

  it('the expand2square background is the fixture’s (122, 116, 104)', () => {
    expect(meanColour(cfg.image_mean)).toEqual(g.config.expand2square_background);
  });

  for (const c of ['a', 'b']) {
    it(`case ${c}: square and Pillow-bicubic uint8 images are bit-exact, pixel_values within 1e-6`, () => {
      const raw = ioTensor(g, `preproc_${c}.raw_rgb`);
      const [h, w] = raw.shape;
      const steps = preprocessSteps({ width: w, height: h, channels: 3, data: new Uint8Array(raw.dataSync()) }, cfg);
      const square = ioTensor(g, `preproc_${c}.square_rgb`);
      expect([steps.square.height, steps.square.width, 3]).toEqual(square.shape);
      expectEqualInts(steps.square.data, square, `preproc_${c}.square_rgb`);
      expectEqualInts(steps.resized.data, ioTensor(g, `preproc_${c}.resized_rgb`), `preproc_${c}.resized_rgb`);
      expectClose(steps.pixelValues, ioTensor(g, `preproc_${c}.pixel_values`), { atol: 1e-6 }, `preproc_${c}.pixel_values`);
      const px = preprocessImage({ width: w, height: h, channels: 3, data: new Uint8Array(raw.dataSync()) }, cfg);
      expectClose(px, ioTensor(g, `preproc_${c}.pixel_values`), { atol: 1e-6 }, `preproc_${c}.pixel_values tensor`);
      px.dispose();
    });
  }
});
