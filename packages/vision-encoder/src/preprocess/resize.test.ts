import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { expand2square } from './expand2square.js';
import { resizeBicubic } from './pillow_bicubic.js';
import type { Rgb8Image } from './rgb8.js';

const image = (w: number, h: number, seed: number): Rgb8Image => {
  const data = new Uint8Array(w * h * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  return { width: w, height: h, channels: 3, data };
};

describe('expand2square', () => {
  it('centres the image on a mean-colour square: rows (W−H)//2 down, or columns (H−W)//2 across (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer(), (w, h, seed) => {
        const img = image(w, h, seed);
        const bg = [122, 116, 104] as const;
        const sq = expand2square(img, bg);
        const side = Math.max(w, h);
        expect([sq.width, sq.height]).toEqual([side, side]);
        const top = w > h ? Math.floor((w - h) / 2) : 0;
        const left = h > w ? Math.floor((h - w) / 2) : 0;
        for (let y = 0; y < side; y++)
          for (let x = 0; x < side; x++) {
            const inside = y >= top && y < top + h && x >= left && x < left + w;
            const got = Array.from(sq.data.subarray((y * side + x) * 3, (y * side + x) * 3 + 3));
            const want = inside ? Array.from(img.data.subarray(((y - top) * w + x - left) * 3, ((y - top) * w + x - left) * 3 + 3)) : [...bg];
            expect(got).toEqual(want);
          }
      }),
      { numRuns: 15 },
    );
  });
});

describe('resizeBicubic (Pillow fixed point)', () => {
  it('keeps a constant image constant and gives the requested size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 255 }), (w, h, ow, oh, v) => {
        const out = resizeBicubic({ width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3).fill(v) }, ow, oh);
        expect([out.width, out.height, out.data.length]).toEqual([ow, oh, ow * oh * 3]);
        expect(out.data.every((x) => x === v)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  it('is the identity at the same size, and the two passes are separable: W×H → W′×H equals a one-axis resize', () => {
    const img = image(7, 5, 3);
    expect(resizeBicubic(img, 7, 5).data).toEqual(img.data);
    const wide = resizeBicubic(img, 11, 5);
    const both = resizeBicubic(img, 11, 8);
    expect(resizeBicubic(wide, 11, 8).data).toEqual(both.data);
  });

  it('rejects a non-positive target size with a typed error', () => {
    expect(() => resizeBicubic(image(2, 2, 1), 0, 2)).toThrow(/'width' and 'height' passed to 'resizeBicubic' must be positive integers, got 0x2/);
  });
});
