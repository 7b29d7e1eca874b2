import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { RawImage } from '@healthgpt/tensor-core';
import { toRgb8 } from './rgb8.js';
import { VisionEncoderError } from '../errors.js';

const u8 = (w: number, h: number, c: 1 | 3 | 4) => fc.uint8Array({ minLength: w * h * c, maxLength: w * h * c });

describe('toRgb8', () => {
  it('replicates grayscale into three channels and drops alpha (PIL convert("RGB"))', () => {
    const gray = toRgb8({ width: 2, height: 1, channels: 1, data: Uint8Array.from([7, 200]) });
    expect(Array.from(gray.data)).toEqual([7, 7, 7, 200, 200, 200]);
    const rgba = toRgb8({ width: 1, height: 2, channels: 4, data: Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 255]) });
    expect(Array.from(rgba.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('maps 16-bit v·257 and float v/255 back to the same 8-bit image (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom<1 | 3 | 4>(1, 3, 4), fc.integer({ min: 0, max: 1e6 }), (w, h, c, seed) => {
        const data = fc.sample(u8(w, h, c), { seed, numRuns: 1 })[0];
        const base = toRgb8({ width: w, height: h, channels: c, data });
        const wide = toRgb8({ width: w, height: h, channels: c, data: Uint16Array.from(data, (v) => v * 257) });
        const float = toRgb8({ width: w, height: h, channels: c, data: Float32Array.from(data, (v) => v / 255) });
        expect(wide.data).toEqual(base.data);
        expect(float.data).toEqual(base.data);
      }),
      { numRuns: 15 },
    );
  });

  it('rounds 16-bit to the nearest 8-bit level and clamps floats (NaN → 0)', () => {
    const wide = toRgb8({ width: 1, height: 1, channels: 3, data: Uint16Array.from([128, 129, 65535]) });
    expect(Array.from(wide.data)).toEqual([0, 1, 255]);
    const float = toRgb8({ width: 1, height: 1, channels: 3, data: Float32Array.from([-0.5, 1.5, NaN]) });
    expect(Array.from(float.data)).toEqual([0, 255, 0]);
  });

  it('rejects malformed images with typed errors naming the field', () => {
    const bad: [RawImage, RegExp][] = [
      [{ width: 2, height: 2, channels: 3, data: new Uint8Array(11) }, /'image.data' passed to 'toRgb8' must hold width·height·channels = 12 values, got 11/],
      [{ width: 0, height: 2, channels: 3, data: new Uint8Array(0) }, /positive integer width and height/],
      [{ width: 1, height: 1, channels: 2 as 3, data: new Uint8Array(2) }, /'image.channels' passed to 'toRgb8' must be 1, 3 or 4, got 2/],
      [{ width: 1, height: 1, channels: 1, data: [1] as unknown as Uint8Array }, /must be a Uint8Array, Uint16Array or Float32Array/],
    ];
    for (const [img, msg] of bad) {
      expect(() => toRgb8(img)).toThrow(VisionEncoderError);
      expect(() => toRgb8(img)).toThrow(msg);
    }
  });
});
