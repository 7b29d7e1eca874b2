import { describe, expect, it } from 'vitest';
import { toNCHW } from './preprocess.js';

describe('toNCHW', () => {
  it('resizes, repeats grey to 3 channels and normalises; a constant image stays constant', () => {
    const img = { width: 10, height: 6, channels: 1 as const, data: new Uint8Array(60).fill(51) };
    const { data, shape } = toNCHW([img, img], { size: 8, mean: [0.1, 0.2, 0.3], std: [0.5, 0.5, 0.5] });
    expect(shape).toEqual([2, 3, 8, 8]);
    expect(data[0]).toBeCloseTo((0.2 - 0.1) / 0.5, 5);
    expect(data[64]).toBeCloseTo((0.2 - 0.2) / 0.5, 5);
    expect(data[3 * 64 + 5]).toBeCloseTo((0.2 - 0.1) / 0.5, 5);
  });

  it('keeps colour channels apart, handles float and 16-bit data, downsamples with antialiasing', () => {
    const rgb = { width: 2, height: 1, channels: 3 as const, data: Uint8Array.from([255, 0, 0, 255, 0, 0]) };
    const r = toNCHW([rgb], { size: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(Array.from(r.data)).toEqual([1, 0, 0]);
    const checker = { width: 8, height: 8, channels: 1 as const, data: Float32Array.from({ length: 64 }, (_, i) => ((i % 8) + Math.floor(i / 8)) % 2) };
    const d = toNCHW([checker], { size: 2, channels: 1, mean: [0], std: [1] });
    for (const v of d.data) expect(v).toBeCloseTo(0.5, 1);
    const u16 = { width: 1, height: 1, channels: 1 as const, data: Uint16Array.from([65535]) };
    expect(toNCHW([u16], { size: 1, channels: 1, mean: [0], std: [1] }).data[0]).toBeCloseTo(1, 6);
  });
});
