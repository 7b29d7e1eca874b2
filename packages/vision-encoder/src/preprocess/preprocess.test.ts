import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks, expectClose } from '@healthgpt/testing';
import { preprocessImages, preprocessSteps } from './preprocess.js';
import { clipImageProcessorConfig, resolveImageProcessorConfig, CLIP_IMAGE_MEAN, CLIP_IMAGE_STD } from './processor_config.js';
import { loadImageProcessorConfig, saveImageProcessorConfig } from './processor_io.js';
import { VisionEncoderError } from '../errors.js';

const cfg = clipImageProcessorConfig(16);

describe('preprocessImages', () => {
  it('turns images of any size, channel count and depth into [B, 3, S, S] float32', () => {
    const imgs = [
      { width: 30, height: 10, channels: 1 as const, data: new Uint8Array(300).fill(90) },
      { width: 5, height: 21, channels: 4 as const, data: new Uint16Array(5 * 21 * 4).fill(40000) },
      { width: 16, height: 16, channels: 3 as const, data: new Float32Array(16 * 16 * 3).fill(0.25) },
    ];
    const px = preprocessImages(imgs, cfg);
    expect(px.shape).toEqual([3, 3, 16, 16]);
    expect(px.dtype).toBe('float32');
    // A uniform square image stays uniform: every pixel of image 2 is ((64/255) − mean) / std.
    const row = tf.tidy(() => tf.slice(px, [2, 0, 0, 0], [1, 3, 1, 1]).reshape([3]));
    expectClose(row, CLIP_IMAGE_MEAN.map((m, c) => (64 / 255 - m) / CLIP_IMAGE_STD[c]), { atol: 1e-6 }, 'uniform image');
    tf.dispose([px, row]);
  });

  it('pads before resizing: the letterbox rows hold the mean colour', () => {
    const { square, resized } = preprocessSteps({ width: 8, height: 2, channels: 3, data: new Uint8Array(48) }, cfg);
    expect([square.width, square.height, resized.width]).toEqual([8, 8, 16]);
    expect(Array.from(resized.data.subarray(0, 3))).toEqual([122, 116, 104]);
  });

  it('without padding, resizes the short side and centre-crops like HF', () => {
    const steps = preprocessSteps({ width: 8, height: 4, channels: 3, data: new Uint8Array(96).fill(9) }, { ...cfg, pad_to_square: false });
    expect([steps.resized.width, steps.resized.height]).toEqual([16, 16]);
    expect(steps.resized.data.every((v) => v === 9)).toBe(true);
  });

  it('leaks no tensors', async () => {
    const img = { width: 4, height: 6, channels: 3 as const, data: new Uint8Array(72) };
    await expectNoLeaks(() => preprocessImages([img, img], cfg), { what: 'preprocessImages' });
  });

  it('rejects bad input and bad configs with typed errors', () => {
    expect(() => preprocessImages([], cfg)).toThrow(/'images' passed to 'preprocessImages' must not be empty/);
    const img = { width: 4, height: 6, channels: 3 as const, data: new Uint8Array(72) };
    expect(() => preprocessImages([img], { ...cfg, do_resize: false })).toThrow(/'crop_size' 16x16 is larger than the 6x6 image/);
    expect(() => resolveImageProcessorConfig({ resample: 2 as 3 })).toThrow(VisionEncoderError);
    expect(() => resolveImageProcessorConfig({ image_std: [1, 0, 1] })).toThrow(/'image_std' must be positive/);
    expect(() => resolveImageProcessorConfig({ size: { shortest_edge: 0 } })).toThrow(/'size.shortest_edge' must be a positive integer/);
  });
});

describe('preprocessor_config.json', () => {
  it('reads the older CLIPFeatureExtractor form (plain-number size and crop) and round-trips through a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'processor-'));
    const legacy = { crop_size: 336, do_center_crop: true, do_normalize: true, do_resize: true, feature_extractor_type: 'CLIPFeatureExtractor', image_mean: CLIP_IMAGE_MEAN, image_std: CLIP_IMAGE_STD, resample: 3, size: 336 };
    writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(legacy));
    const cfgRead = await loadImageProcessorConfig(dir);
    expect(cfgRead).toEqual(clipImageProcessorConfig(336));
    await saveImageProcessorConfig(dir, { ...cfgRead, pad_to_square: false });
    expect((await loadImageProcessorConfig(dir)).pad_to_square).toBe(false);
    await expect(loadImageProcessorConfig(join(dir, 'none'))).rejects.toThrow(VisionEncoderError);
    rmSync(dir, { recursive: true, force: true });
  });
});
