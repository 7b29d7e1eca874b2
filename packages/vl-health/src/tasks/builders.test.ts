import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireDataDir } from '@healthgpt/testing';
import { superResolutionPair, reconstructionPair, denoisingPair, volumeSlices } from './builders.js';
import { decodeNifti } from '../decode/nifti.js';
import { DatasetError } from '../errors.js';

const ramp = (w: number, h: number) => ({ width: w, height: h, channels: 1 as const, data: Float32Array.from({ length: w * h }, (_, i) => (i % w) / (w - 1)) });

describe('task builders', () => {
  it('super-resolution: crop to a multiple of the factor, box = block means', () => {
    const img = { width: 9, height: 8, channels: 1 as const, data: Uint8Array.from({ length: 72 }, (_, i) => i) };
    const { input, target } = superResolutionPair(img, { factor: 4 });
    expect([target.width, target.height, input.width, input.height]).toEqual([8, 8, 2, 2]);
    // block (0,0): rows 0-3, cols 0-3 of a 9-wide ramp of i/255
    let s = 0;
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) s += (y * 9 + x) / 255;
    expect(input.data[0]).toBeCloseTo(s / 16, 6);
    const g = superResolutionPair(ramp(16, 16), { factor: 2, kernel: 'gaussian' });
    expect([g.input.width, g.input.height]).toEqual([8, 8]);
    const n = superResolutionPair(ramp(16, 16), { factor: 4, kernel: 'nearest' });
    expect(n.input.data[1]).toBeCloseTo(6 / 15, 6);
    expect(() => superResolutionPair(ramp(3, 3), { factor: 4 })).toThrow(DatasetError);
  });

  it('reconstruction (identity and masked) and denoising are seeded', () => {
    const img = ramp(16, 16);
    expect(reconstructionPair(img).input.data).toEqual(img.data);
    const m = reconstructionPair(img, { mode: 'masked', patch: 4, maskFraction: 0.5, seed: 1 });
    const zeros = Array.from(m.input.data).filter((v, i) => v === 0 && img.data[i] !== 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(m.target.data).toEqual(img.data);
    const a = denoisingPair(img, { sigma: 0.1, seed: 5 });
    const b = denoisingPair(img, { sigma: 0.1, seed: 5 });
    expect(a.input.data).toEqual(b.input.data);
    let sq = 0;
    for (let i = 0; i < 256; i++) sq += (a.input.data[i] - img.data[i]) ** 2;
    expect(Math.sqrt(sq / 256)).toBeGreaterThan(0.05);
    expect(denoisingPair(img, { kind: 'rician', sigma: 0.05 }).input.data.every((v) => v >= 0)).toBe(true);
  });

  it('2-D slices of the real Colin27 MRI along each axis, empty slices skipped', async () => {
    const vol = await decodeNifti(readFileSync(join(requireDataDir(), 'mri-colin27', 'ch2bet.nii.gz')));
    const axial = volumeSlices(vol, { axis: 2, step: 10 });
    expect(axial.length).toBeGreaterThan(8);
    expect(axial.length).toBeLessThan(19); // some of the 19 sampled slices are empty (outside the brain)
    expect([axial[0].image.width, axial[0].image.height]).toEqual([181, 217]);
    const cor = volumeSlices(vol, { axis: 1, step: 40 });
    expect([cor[0].image.width, cor[0].image.height]).toEqual([181, 181]);
    // a super-resolution pair from a real slice
    const mid = axial[Math.floor(axial.length / 2)].image;
    const sr = superResolutionPair(mid, { factor: 4 });
    expect([sr.target.width, sr.target.height, sr.input.width, sr.input.height]).toEqual([180, 216, 45, 54]);
  });
});
