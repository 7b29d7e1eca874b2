import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { requireDataDir, tempDir } from '@healthgpt/testing';
import { DatasetError } from './errors.js';
import { parseLlavaJson } from './readers/llava.js';
import { streamJsonl } from './readers/jsonl.js';
import { decodeImage } from './decode/image.js';
import { decodeDicom } from './decode/dicom.js';
import { decodeNifti } from './decode/nifti.js';
import { encodePng } from './decode/raster.js';
import { makeDicom, makeNifti } from './test_util/dicom.js';
import { loadImage } from './decode/image.js';
import { writeFileSync } from 'node:fs';

const data = requireDataDir();

/** Corrupt bytes: flip some, then maybe truncate. */
const corruption = (len: number) =>
  fc.record({
    flips: fc.array(fc.record({ at: fc.nat({ max: Math.max(0, len - 1) }), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 24 }),
    cut: fc.option(fc.nat({ max: len }), { nil: undefined }),
  });
function corrupt(src: Uint8Array, c: { flips: { at: number; v: number }[]; cut?: number }): Uint8Array {
  const b = Uint8Array.from(src);
  for (const f of c.flips) b[f.at] = f.v;
  return c.cut === undefined ? b : b.subarray(0, c.cut);
}
/** Either succeeds or throws a DatasetError; anything else fails the property. */
async function typedOnly(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof DatasetError)) throw new Error(`untyped error: ${String((e as Error)?.stack ?? e)}`);
  }
}
const opts = { maxPixels: 1 << 20 };

describe('fuzzing corrupt inputs gives typed errors only', () => {
  const rec = JSON.stringify([{ id: '1', task: 'comprehension', subtask: 'vqa', image: 'a.png', conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 'a' }] }]);

  it('JSON and JSONL text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json(), corruption(rec.length).map((c) => Buffer.from(corrupt(Buffer.from(rec), c)).toString('latin1'))), async (text) => {
        await typedOnly(() => parseLlavaJson(text));
        await typedOnly(async () => {
          for await (const _ of streamJsonl([text], { maxLineLength: 4096 }));
        });
      }),
      { numRuns: 100 },
    );
  });

  it('PNG / JPEG bytes', async () => {
    const png = await encodePng({ width: 8, height: 8, channels: 1, data: Uint8Array.from({ length: 64 }, (_, i) => i * 4) });
    const jpg = readFileSync(join(data, 'vqa-rad', 'VQA_RAD Image Folder', 'synpic54610.jpg')).subarray(0, 4000);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(png, jpg), corruption(4000), async (src, c) => {
        await typedOnly(() => decodeImage(corrupt(src, c), opts));
      }),
      { numRuns: 25 },
    );
  });

  it('DICOM bytes', async () => {
    const real = readFileSync(join(data, 'io-samples', 'MR_small.dcm'));
    const small = makeDicom({ rows: 4, columns: 4, bitsAllocated: 16, signed: true, pixels: new Array(16).fill(-3), slope: 2, intercept: 1 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(real, small), corruption(1200), async (src, c) => {
        const b = corrupt(src, c);
        await typedOnly(() => decodeDicom(b, opts));
        await typedOnly(() => decodeImage(b, opts));
      }),
      { numRuns: 80 },
    );
  });

  it('NIfTI bytes, raw and gzipped', async () => {
    const nii = makeNifti([4, 4, 3], Array.from({ length: 48 }, (_, i) => i - 10), { slope: 0.5 });
    const gz = gzipSync(nii);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(nii, gz), corruption(nii.length), async (src, c) => {
        const b = corrupt(src, c);
        await typedOnly(() => decodeNifti(b, opts));
        await typedOnly(() => decodeImage(b, opts));
      }),
      { numRuns: 80 },
    );
  });

  it('random bytes of any format', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.constantFrom([], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff], [0x1f, 0x8b]), async (body, magic) => {
        await typedOnly(() => decodeImage(Uint8Array.from([...magic, ...body]), opts));
      }),
      { numRuns: 40 },
    );
    expect(true).toBe(true);
  });

  it('hostile dimensions: any declared size past the pixel limit is TOO_LARGE before pixels are allocated (PNG, DICOM, NIfTI)', async () => {
    const png = await encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 32767 }), fc.integer({ min: 1, max: 32767 }), fc.integer({ min: 1, max: 64 }), async (w, h, d) => {
        const limit = 1 << 20;
        const over = w * h * d > limit;
        // PNG: patch the IHDR size (the CRC no longer matches, so a small one is a DECODE error)
        const p = Uint8Array.from(png);
        new DataView(p.buffer).setUint32(16, w);
        new DataView(p.buffer).setUint32(20, h);
        const pr = await decodeImage(p, { maxPixels: limit }).then(() => 'ok', (e: DatasetError) => e.code);
        expect(pr).toBe(w * h > limit ? 'TOO_LARGE' : pr === 'ok' ? 'ok' : 'DECODE');
        // NIfTI: a header promising w x h x d voxels beside no data
        const nr = await decodeNifti(makeNifti([w, h, d], []), { maxPixels: limit }).then(() => 'ok', (e: DatasetError) => e.code);
        expect(nr).toBe(over ? 'TOO_LARGE' : 'DECODE');
        // DICOM: rows x columns beside one pixel
        const dr = await typedCode(() => decodeDicom(makeDicom({ rows: Math.min(h, 65535), columns: Math.min(w, 65535), bitsAllocated: 8, pixels: [1] }), { maxPixels: limit }));
        expect(dr).toBe(w * h > limit ? 'TOO_LARGE' : w * h === 1 ? 'ok' : 'DECODE');
      }),
      { numRuns: 60 },
    );
  });

  it('hostile files through loadImage: a file over maxBytes is refused before it is read', async () => {
    const dir = tempDir('vlh-fuzz-size');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 5000 }), async (size, maxBytes) => {
        writeFileSync(join(dir, 'f.png'), new Uint8Array(size));
        const code = await loadImage(dir, 'f.png', { maxBytes }).then(() => 'ok', (e: DatasetError) => e.code);
        expect(code).toBe(size > maxBytes ? 'TOO_LARGE' : 'DECODE');
      }),
      { numRuns: 40 },
    );
  });
});

async function typedCode(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof DatasetError)) throw e;
    return e.code;
  }
}
