import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RawImage } from '@healthgpt/tensor-core/base';
import { resizeImage } from './resize.js';
import { DatasetError } from './errors.js';

const make = (kind: 'u8' | 'u16' | 'f32', w: number, h: number, c: 1 | 3 | 4, f: (i: number) => number): RawImage => {
  const n = w * h * c;
  const data = kind === 'u8' ? Uint8Array.from({ length: n }, (_, i) => f(i) * 255) : kind === 'u16' ? Uint16Array.from({ length: n }, (_, i) => f(i) * 65535) : Float32Array.from({ length: n }, (_, i) => f(i));
  return { width: w, height: h, channels: c, data };
};

describe('resizeImage (sharp)', () => {
  it('keeps depth and channels, and a constant image stays constant, for any sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('u8' as const, 'u16' as const, 'f32' as const),
        fc.constantFrom(1 as const, 3 as const, 4 as const),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 255 }),
        async (kind, c, w, h, ow, oh, level) => {
          const img = make(kind, w, h, c, (i) => (c === 4 && i % 4 === 3 ? 1 : level / 255)); // opaque alpha: sharp resizes colour premultiplied
          const out = await resizeImage(img, ow, oh);
          expect([out.width, out.height, out.channels, out.data.constructor]).toEqual([ow, oh, c, img.data.constructor]);
          expect(out.data.length).toBe(ow * oh * c);
          const scale = kind === 'u8' ? 255 : kind === 'u16' ? 65535 : 1;
          out.data.forEach((v, i) => expect(Math.abs(v / scale - (c === 4 && i % 4 === 3 ? 1 : level / 255))).toBeLessThanOrEqual(1 / 255 + 1e-6));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('shrinking averages (antialiased); float values survive to 1/65535', async () => {
    const checker = make('f32', 8, 8, 1, (i) => ((i % 8) + Math.floor(i / 8)) % 2);
    const small = await resizeImage(checker, 2, 2);
    for (const v of small.data) expect(v).toBeCloseTo(0.5, 1);
    const ramp = make('f32', 16, 1, 1, (i) => i / 15);
    const same = await resizeImage(ramp, 16, 1);
    for (let i = 0; i < 16; i++) expect(Math.abs(same.data[i] - i / 15)).toBeLessThanOrEqual(1 / 65535);
    const rgb = make('u8', 2, 1, 3, (i) => (i % 3 === 0 ? 1 : 0));
    expect(Array.from((await resizeImage(rgb, 1, 1)).data)).toEqual([255, 0, 0]);
  });

  it('refuses sizes past the pixel limit and bad arguments with typed errors', async () => {
    const img = make('u8', 2, 2, 1, () => 0);
    await expect(resizeImage(img, 100_000, 100_000)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(resizeImage(img, 64, 64, { maxPixels: 1000 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    for (const [w, h] of [[0, 4], [4, -1], [2.5, 4], [Number.NaN, 4], [Infinity, 4]])
      await expect(resizeImage(img, w, h)).rejects.toMatchObject({ code: 'ARGUMENT' });
    await expect(resizeImage({ ...img, data: new Uint8Array(3) }, 4, 4)).rejects.toBeInstanceOf(DatasetError);
  });
});
