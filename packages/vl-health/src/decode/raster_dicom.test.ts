import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { requireDataDir } from '@healthgpt/testing';
import { decodeDicom } from './dicom.js';
import { decodeImage, sniffFormat } from './image.js';
import { decodeRaster, encodePng } from './raster.js';
import { DatasetError } from '../errors.js';
import { makeDicom } from '../test_util/dicom.js';

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

  it('rescale tags must be numbers: a non-numeric slope or intercept names the tag (never becomes 0 or 1)', () => {
    const px = { rows: 1, columns: 2, bitsAllocated: 16 as const, pixels: [1, 2] };
    for (const bad of ['abc', '1.5x', 'NaN', 'Infinity'])
      expect(() => decodeDicom(makeDicom({ ...px, intercept: bad }), { file: 'i.dcm' })).toThrow(new RegExp(`RescaleIntercept \\(0028,1052\\) is not a number: "${bad}".*file i\\.dcm`));
    expect(() => decodeDicom(makeDicom({ ...px, slope: 'x' }))).toThrow(/RescaleSlope \(0028,1053\) is not a number/);
    expect(() => decodeDicom(makeDicom({ ...px, slope: 0 }))).toThrow(/RescaleSlope \(0028,1053\) is 0/);
    // multi-valued and blank tags: the first value, or the default
    expect(Array.from(decodeDicom(makeDicom({ ...px, slope: '2\\3', intercept: ' ' })).info.values)).toEqual([2, 4]);
  });

  it('only MONOCHROME1 and MONOCHROME2 are accepted', () => {
    for (const photometric of ['MONOCHROME3', 'MONOCHROME', 'RGB', 'PALETTE COLOR'])
      expect(() => decodeDicom(makeDicom({ rows: 1, columns: 1, bitsAllocated: 8, pixels: [1], photometric }))).toThrow(/only MONOCHROME1 and MONOCHROME2/);
  });

  it('window errors name the field at fault: the centre, the width, or the file tag', () => {
    const f = makeDicom({ rows: 1, columns: 2, bitsAllocated: 8, pixels: [0, 9] });
    expect(() => decodeDicom(f, { window: { center: Number.NaN, width: 100 } })).toThrow(/'window\.center'.*got NaN/);
    expect(() => decodeDicom(f, { window: { center: 10, width: 0 } })).toThrow(/'window\.width'.*got 0/);
    expect(() => decodeDicom(makeDicom({ rows: 1, columns: 2, bitsAllocated: 8, pixels: [0, 9], window: { center: 'x', width: 10 } }))).toThrow(/WindowCenter \(0028,1050\) is not a number/);
    expect(() => decodeDicom(makeDicom({ rows: 1, columns: 2, bitsAllocated: 8, pixels: [0, 9], window: { center: 5, width: 0 } }))).toThrow(/WindowWidth \(0028,1051\) must be >= 1/);
  });

  it('parser failures carry the parser\'s message, never "[object Object]"', () => {
    const ok = makeDicom({ rows: 4, columns: 4, bitsAllocated: 16, pixels: new Array(16).fill(7) });
    for (const cut of [140, 200, 300]) {
      let msg = '';
      try {
        decodeDicom(ok.subarray(0, cut));
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(/^DICOM: /);
      expect(msg).not.toMatch(/\[object Object\]|\{\}/);
    }
  });

  it('typed errors: truncated pixel data, compressed syntax, not DICOM', () => {
    const ok = makeDicom({ rows: 4, columns: 4, bitsAllocated: 16, pixels: new Array(16).fill(7) });
    expect(() => decodeDicom(ok.subarray(0, ok.length - 6), { file: 'x.dcm' })).toThrow(DatasetError);
    expect(() => decodeDicom(makeDicom({ rows: 1, columns: 1, bitsAllocated: 8, pixels: [1], transferSyntax: '1.2.840.10008.1.2.4.50' }))).toThrow(/transfer syntax/);
    expect(() => decodeDicom(new Uint8Array(300))).toThrow(DatasetError);
    expect(() => decodeDicom(makeDicom({ rows: 1000, columns: 1000, bitsAllocated: 8, pixels: [] }), { maxPixels: 1000 })).toThrow(/exceeds the limit/);
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
