import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { requireDataDir } from '@healthgpt/testing';
import { decodeDicom } from './dicom.js';
import { decodeNifti } from './nifti.js';
import { sliceVolume } from './slice.js';
import { decodeImage, sniffFormat } from './image.js';
import { decodeRaster, encodePng } from './raster.js';
import { DatasetError } from '../errors.js';
import { makeDicom, makeNifti } from '../test-utils/dicom.js';

const data = requireDataDir();
const max = (a: ArrayLike<number>) => {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
};
const min = (a: ArrayLike<number>) => {
  let m = Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] < m) m = a[i];
  return m;
};
const io = (f: string) => readFileSync(join(data, 'io-samples', f));

describe('DICOM', () => {
  it('CT_small.dcm: 128x128 signed int16, rescale intercept -1024 gives Hounsfield units', () => {
    const { image, info } = decodeDicom(io('CT_small.dcm'));
    expect([image.width, image.height, image.channels]).toEqual([128, 128, 1]);
    expect(info).toMatchObject({ modality: 'CT', bitsAllocated: 16, signed: true, rescaleSlope: 1, rescaleIntercept: -1024 });
    // first stored values are 175, 180, 166, 143 (pydicom's pixel_array[0, :4]); minus 1024 → HU
    expect(Array.from(info.values.slice(0, 4))).toEqual([-849, -844, -858, -881]);
    expect(image.data).toBeInstanceOf(Float32Array);
    expect(min(image.data)).toBeGreaterThanOrEqual(0);
    expect(max(image.data)).toBeLessThanOrEqual(1);
  });

  it('MR_small.dcm: 64x64 with the file window (centre 600, width 1600)', () => {
    const { image, info } = decodeDicom(io('MR_small.dcm'));
    expect([image.width, image.height]).toEqual([64, 64]);
    expect(info.window).toEqual({ center: 600, width: 1600 });
    expect(info.values[0]).toBe(905);
    // DICOM linear VOI: (905 - 599.5) / 1599 + 0.5
    expect(image.data[0]).toBeCloseTo((905 - 599.5) / 1599 + 0.5, 5);
  });

  it('synthetic files: 8/16-bit, signed, slope/intercept, explicit window, MONOCHROME1', () => {
    const px16 = [-2000, -1, 0, 1000];
    const a = decodeDicom(makeDicom({ rows: 2, columns: 2, bitsAllocated: 16, signed: true, pixels: px16, slope: 2, intercept: -10 }));
    expect(Array.from(a.info.values)).toEqual(px16.map((v) => v * 2 - 10));
    expect(a.image.data[0]).toBe(0); // min–max window when the file has none
    expect(a.image.data[3]).toBe(1);
    const b = decodeDicom(makeDicom({ rows: 1, columns: 4, bitsAllocated: 8, pixels: [0, 100, 200, 255] }), { window: { center: 128, width: 256 } });
    expect(Array.from(b.info.values)).toEqual([0, 100, 200, 255]);
    expect(b.image.data[0]).toBeCloseTo((0 - 127.5) / 255 + 0.5, 6);
    const c = decodeDicom(makeDicom({ rows: 1, columns: 2, bitsAllocated: 8, signed: true, pixels: [-128, 127] }));
    expect(Array.from(c.info.values)).toEqual([-128, 127]);
    const d = decodeDicom(makeDicom({ rows: 1, columns: 2, bitsAllocated: 16, bitsStored: 12, signed: true, pixels: [0x0fff, 0x07ff] }));
    expect(Array.from(d.info.values)).toEqual([-1, 2047]); // 12-bit sign extension
    const e = decodeDicom(makeDicom({ rows: 1, columns: 2, bitsAllocated: 8, pixels: [0, 255], photometric: 'MONOCHROME1' }));
    expect(Array.from(e.image.data)).toEqual([1, 0]);
  });

  it('typed errors: truncated pixel data, compressed syntax, not DICOM', () => {
    const ok = makeDicom({ rows: 4, columns: 4, bitsAllocated: 16, pixels: new Array(16).fill(7) });
    expect(() => decodeDicom(ok.subarray(0, ok.length - 6), { file: 'x.dcm' })).toThrow(DatasetError);
    expect(() => decodeDicom(makeDicom({ rows: 1, columns: 1, bitsAllocated: 8, pixels: [1], transferSyntax: '1.2.840.10008.1.2.4.50' }))).toThrow(/transfer syntax/);
    expect(() => decodeDicom(new Uint8Array(300))).toThrow(DatasetError);
    expect(() => decodeDicom(makeDicom({ rows: 1000, columns: 1000, bitsAllocated: 8, pixels: [] }), { maxPixels: 1000 })).toThrow(/exceeds the limit/);
  });
});

describe('NIfTI', () => {
  it('anatomical.nii: big-endian int16 33x41x25', () => {
    const v = decodeNifti(io('anatomical.nii'));
    expect(v.dims).toEqual([33, 41, 25, 1]);
    expect(v.voxelSize).toEqual([2, 2, 2]);
    expect(v.data[0]).toBe(10712);
    expect(min(v.data)).toBe(-610);
    expect(max(v.data)).toBe(30393);
  });

  it('functional.nii: scl_slope / scl_inter applied (range equals the header cal_min/cal_max)', () => {
    const v = decodeNifti(io('functional.nii'));
    expect(v.dims).toEqual([17, 21, 3, 20]);
    expect(min(v.data)).toBeCloseTo(629.826171875, 3);
    expect(max(v.data)).toBeCloseTo(5571.6216, 2);
  });

  it('example4d.nii.gz: gzip, 4-D, slices along every axis and time', () => {
    const v = decodeNifti(io('example4d.nii.gz'));
    expect(v.dims).toEqual([128, 96, 24, 2]);
    const shapes = ([0, 1, 2] as const).map((axis) => {
      const s = sliceVolume(v, { axis, t: 1 });
      return [s.width, s.height];
    });
    expect(shapes).toEqual([[96, 24], [128, 24], [128, 96]]);
  });

  it('Colin27 ch2.nii.gz: 181x217x181 uint8 slices, normalised to [0, 1]', () => {
    const v = decodeNifti(readFileSync(join(data, 'mri-colin27', 'ch2.nii.gz')));
    expect(v.dims).toEqual([181, 217, 181, 1]);
    expect(v.datatypeCode).toBe(2);
    expect(max(v.data.subarray(0, 1_000_000))).toBeLessThanOrEqual(255);
    const axial = sliceVolume(v, { axis: 2, index: 90 });
    expect([axial.width, axial.height]).toEqual([181, 217]);
    const sag = sliceVolume(v, { axis: 0, normalise: 'slice' });
    expect([sag.width, sag.height]).toEqual([217, 181]);
    expect(max(sag.data)).toBe(1);
    expect(min(sag.data)).toBe(0);
    const pct = sliceVolume(v, { axis: 1, normalise: { percentiles: [1, 99] } });
    expect([pct.width, pct.height]).toEqual([181, 181]);
    // brain in the middle of the axial slice is brighter than the corner (air)
    expect(axial.data[108 * 181 + 90]).toBeGreaterThan(axial.data[0] + 0.1);
  });

  it('slice orientation: row 0 is the top (highest index of the second in-plane axis)', () => {
    // 2x3x1 volume, value = x + 10 y
    const vol = decodeNifti(makeNifti([2, 3, 1], [0, 1, 10, 11, 20, 21]));
    const s = sliceVolume(vol, { axis: 2, index: 0, normalise: { min: 0, max: 21 } });
    expect(Array.from(s.data).map((v) => Math.round(v * 21))).toEqual([20, 21, 10, 11, 0, 1]);
  });

  it('typed errors on truncated data, bad dims and oversized volumes', () => {
    const ok = makeNifti([4, 4, 4], new Array(64).fill(1));
    expect(() => decodeNifti(ok.subarray(0, ok.length - 10), { file: 'a.nii' })).toThrow(/truncated/);
    expect(() => decodeNifti(gzipSync(ok).subarray(0, 40))).toThrow(DatasetError);
    expect(() => decodeNifti(ok, { maxPixels: 10 })).toThrow(/exceeds the limit/);
    const bad = Uint8Array.from(ok);
    new DataView(bad.buffer).setInt16(40, 9, true);
    expect(() => decodeNifti(bad)).toThrow(/dim\[0\]/);
  });
});

describe('PNG / JPEG / WebP through sharp', () => {
  it('round-trips 8-bit grey and colour images and sniffs formats', async () => {
    const grey = { width: 3, height: 2, channels: 1 as const, data: Uint8Array.from([0, 50, 100, 150, 200, 255]) };
    const png = await encodePng(grey);
    expect(sniffFormat(png)).toBe('png');
    expect(await decodeImage(png)).toEqual(grey);
    const rgb = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 100, b: 50 } } }).jpeg({ quality: 100 }).toBuffer();
    expect(sniffFormat(rgb)).toBe('jpeg');
    const j = await decodeImage(rgb);
    expect([j.width, j.height, j.channels]).toEqual([4, 4, 3]);
    expect(Math.abs(j.data[0] - 200)).toBeLessThan(4);
    const webp = await sharp({ create: { width: 5, height: 3, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 1 } } }).webp({ lossless: true }).toBuffer();
    expect(sniffFormat(webp)).toBe('webp');
    const w = await decodeImage(webp, { mode: 'gray' });
    expect([w.width, w.height, w.channels, w.data[0]]).toEqual([5, 3, 1, 9]);
  });

  it('VQA-RAD JPEG decodes with its real size; pixel limit is enforced', async () => {
    const f = readFileSync(join(data, 'vqa-rad', 'VQA_RAD Image Folder', 'synpic54610.jpg'));
    const img = await decodeRaster(f);
    expect([img.width, img.height, img.channels]).toEqual([566, 555, 3]);
    const small = await decodeImage(f, { mode: 'gray', resize: { width: 32, height: 24 } });
    expect([small.width, small.height, small.channels]).toEqual([32, 24, 1]);
    await expect(decodeRaster(f, { maxPixels: 1000, file: 'synpic54610.jpg' })).rejects.toMatchObject({ code: 'TOO_LARGE', file: 'synpic54610.jpg' });
  });

  it('decodeImage dispatches DICOM and NIfTI to float images', async () => {
    const d = await decodeImage(io('MR_small.dcm'));
    expect(d.data).toBeInstanceOf(Float32Array);
    const n = await decodeImage(io('anatomical.nii'), { slice: { axis: 0 } });
    expect([n.width, n.height]).toEqual([41, 25]);
    await expect(decodeImage(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'DECODE' });
  });
});
