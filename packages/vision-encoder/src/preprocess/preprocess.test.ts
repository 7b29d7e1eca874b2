import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tf } from '@healthgpt/tensor-core';
import { expectNoLeaks, expectClose } from '@healthgpt/testing';
import { preprocessImages, preprocessSteps } from './preprocess.js';
import { MAX_IMAGE_PIXELS, toRgb8 } from './rgb8.js';
import { resizeBicubic } from './pillow_bicubic.js';
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
    expect(() => resolveImageProcessorConfig({ size: { shortest_edge: 0 } })).toThrow(/'size.shortest_edge' must be > 0, got 0/);
  });
});

describe('pixel bound (MAX_IMAGE_PIXELS)', () => {
  const gray = (width: number, height: number) => ({ width, height, channels: 1 as const, data: new Uint8Array(width * height) });
  it('a long thin image is refused before its padded square or its resize is allocated, naming the step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: MAX_IMAGE_PIXELS ** 0.5 + 1, max: 3_000_000 }), fc.boolean(), fc.boolean(), (thin, long, tall, pad) => {
        const img = tall ? gray(thin, long) : gray(long, thin);
        const cfg = clipImageProcessorConfig(224, { pad_to_square: pad } as never);
        const step = pad ? /the padded square in 'expand2square'/ : /the resized image in 'preprocessImage'/;
        expect(() => preprocessSteps(img, cfg)).toThrow(expect.objectContaining({ name: 'VisionEncoderError', code: 'ARGUMENT', message: expect.stringMatching(step) }));
      }),
      { numRuns: 12 },
    );
  });

  it('sizes up to the bound pass; resizeBicubic refuses an output or row pass over it', () => {
    expect(preprocessSteps(gray(3000, 2000), clipImageProcessorConfig(32)).pixelValues).toHaveLength(3 * 32 * 32);
    const small = toRgb8(gray(4, 4));
    expect(resizeBicubic(small, 64, 48)).toMatchObject({ width: 64, height: 48 });
    expect(() => resizeBicubic(small, 2 ** 13, 2 ** 13 + 1)).toThrow(/the output in 'resizeBicubic' would be 8192x8193 = 67117056 pixels, more than MAX_IMAGE_PIXELS/);
    expect(() => resizeBicubic(toRgb8(gray(4, 2 ** 13)), 2 ** 14, 4)).toThrow(/the row pass in 'resizeBicubic'/);
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

  it('wrongly typed fields are CONFIG errors naming the file and field, never truthy strings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'processor-'));
    try {
      for (const [over, path] of [
        [{ do_resize: 'false' }, 'do_resize'],
        [{ image_mean: [0.5, '0.5', 0.5] }, 'image_mean[1]'],
        [{ size: { shortest_edge: '336' } }, 'size.shortest_edge'],
        [{ crop_size: 1e9 }, 'crop_size'],
        [{ rescale_factor: true }, 'rescale_factor'],
      ] as const) {
        writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ ...clipImageProcessorConfig(32), ...over }));
        await expect(loadImageProcessorConfig(dir), path).rejects.toMatchObject({ name: 'VisionEncoderError', code: 'CONFIG', path, file: join(dir, 'preprocessor_config.json') });
      }
      writeFileSync(join(dir, 'preprocessor_config.json'), 'null');
      await expect(loadImageProcessorConfig(dir)).rejects.toThrow(/an image processor config must be a JSON object, got null/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('any mutation of a valid config gives a config or a CONFIG error (fuzz)', () => {
    const fields = Object.keys(clipImageProcessorConfig(32));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...fields), fc.jsonValue(), { maxKeys: 3 }), (over) => {
        try {
          const c = resolveImageProcessorConfig({ ...clipImageProcessorConfig(32), ...over }, 'p.json');
          expect(typeof c.do_resize).toBe('boolean');
          expect(Number.isInteger(c.size.shortest_edge)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(VisionEncoderError);
          expect(e).toMatchObject({ code: 'CONFIG', file: 'p.json' });
        }
      }),
      { numRuns: 300 },
    );
  });
});
