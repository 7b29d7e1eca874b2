import { describe, expect, it } from 'vitest';
import { phantomImages } from './phantoms.js';

const mean = (d: ArrayLike<number>) => Array.from(d).reduce((a, b) => a + b, 0) / d.length;

describe('phantomImages', () => {
  it('is deterministic per seed, float [0, 1] single-channel, of the requested size', () => {
    const a = phantomImages(6, { size: 32, seed: 3 });
    const b = phantomImages(6, { size: 32, seed: 3 });
    const c = phantomImages(6, { size: 32, seed: 4 });
    expect(a).toHaveLength(6);
    for (const img of a) {
      expect([img.width, img.height, img.channels, img.data.constructor]).toEqual([32, 32, 1, Float32Array]);
      expect(img.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(mean(img.data)).toBeGreaterThan(0.1); // a body fills the field of view
    }
    expect(a.map((x) => Array.from(x.data))).toEqual(b.map((x) => Array.from(x.data)));
    expect(a.map((x) => Array.from(x.data))).not.toEqual(c.map((x) => Array.from(x.data)));
  });

  it('noise 0 is noise-free and a fixed modality applies to every image', () => {
    const clean = phantomImages(2, { size: 32, noise: 0, modality: 'CT' });
    const again = phantomImages(2, { size: 32, noise: 0, modality: 'CT' });
    expect(Array.from(clean[0].data)).toEqual(Array.from(again[0].data));
    // air (the corners) is exactly 0 without noise, and not with it
    expect(clean[0].data[0]).toBe(0);
    const noisy = phantomImages(8, { size: 32, noise: 3, modality: 'MRI-T2' });
    expect(noisy.some((img) => img.data[0] > 0)).toBe(true);
  });

  it('refuses bad arguments with typed errors', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => phantomImages(bad)).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => phantomImages(1, { size: 30 })).toThrow(/multiple of 4/);
    expect(() => phantomImages(1, { noise: -1 })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
    expect(() => phantomImages(1, { modality: 'PET' as never })).toThrow(expect.objectContaining({ code: 'ARGUMENT' }));
  });
});
