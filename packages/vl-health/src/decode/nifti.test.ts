import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { requireDataDir, tempDir } from '@healthgpt/testing';
import { decodeNifti } from './nifti.js';
import { sliceVolume } from './slice.js';
import { decodeImage } from './image.js';
import { DatasetError } from '../errors.js';
import { makeNifti } from '../test_util/dicom.js';

const data = requireDataDir();
const io = (f: string) => readFileSync(join(data, 'io-samples', f));
const max = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => (v > m ? v : m), -Infinity);
const min = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => (v < m ? v : m), Infinity);
const ramp = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('NIfTI: real files', () => {
  it('anatomical.nii: big-endian int16 33x41x25', async () => {
    const v = await decodeNifti(io('anatomical.nii'));
    expect(v.dims).toEqual([33, 41, 25, 1]);
    expect(v.voxelSize).toEqual([2, 2, 2]);
    expect(v.data[0]).toBe(10712);
    expect(min(v.data)).toBe(-610);
    expect(max(v.data)).toBe(30393);
  });

  it('functional.nii: scl_slope / scl_inter applied (range equals the header cal_min/cal_max)', async () => {
    const v = await decodeNifti(io('functional.nii'));
    expect(v.dims).toEqual([17, 21, 3, 20]);
    expect(min(v.data)).toBeCloseTo(629.826171875, 3);
    expect(max(v.data)).toBeCloseTo(5571.6216, 2);
  });

  it('example4d.nii.gz: gzip, 4-D, slices along every axis and time; decodeImage slices the same pixels', async () => {
    const bytes = io('example4d.nii.gz');
    const v = await decodeNifti(bytes);
    expect(v.dims).toEqual([128, 96, 24, 2]);
    const shapes = ([0, 1, 2] as const).map((axis) => {
      const s = sliceVolume(v, { axis, t: 1 });
      return [s.width, s.height];
    });
    expect(shapes).toEqual([[96, 24], [128, 24], [128, 96]]);
    for (const slice of [{ axis: 0 as const, t: 1 }, { axis: 2 as const, index: 3, normalise: 'slice' as const }])
      expect(Array.from((await decodeImage(bytes, { slice })).data)).toEqual(Array.from(sliceVolume(v, slice).data));
  });

  it('Colin27 ch2.nii.gz: 181x217x181 uint8 slices, normalised to [0, 1]', async () => {
    const v = await decodeNifti(readFileSync(join(data, 'mri-colin27', 'ch2.nii.gz')));
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
});

describe('NIfTI: layout and scaling', () => {
  it('slice orientation: row 0 is the top (highest index of the second in-plane axis)', async () => {
    // 2x3x1 volume, value = x + 10 y
    const vol = await decodeNifti(makeNifti([2, 3, 1], [0, 1, 10, 11, 20, 21]));
    const s = sliceVolume(vol, { axis: 2, index: 0, normalise: { min: 0, max: 21 } });
    expect(Array.from(s.data).map((v) => Math.round(v * 21))).toEqual([20, 21, 10, 11, 0, 1]);
  });

  it('every datatype, either byte order, raw or gzipped, reads back the voxels it was written with', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(2 as const, 4 as const, 16 as const, 64 as const),
        fc.boolean(),
        fc.boolean(),
        fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 })),
        async (datatype, littleEndian, gz, dims) => {
          const n = dims[0] * dims[1] * dims[2];
          const values = Array.from({ length: n }, (_, i) => (datatype === 2 ? (i * 7) % 256 : datatype === 4 ? i * 13 - 100 : i * 0.25 - 3));
          const nii = makeNifti(dims, values, { datatype, littleEndian });
          const v = await decodeNifti(gz ? gzipSync(nii) : nii);
          expect(v.dims).toEqual([...dims, 1]);
          expect(Array.from(v.data)).toEqual(values);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('vox_offset 0 (or anything inside the header) reads the voxels right after the header', async () => {
    const values = ramp(24);
    const good = await decodeNifti(makeNifti([2, 3, 4], values));
    for (const off of [0, 100, 351.5]) {
      const v = await decodeNifti(makeNifti([2, 3, 4], values, { voxOffset: off }));
      expect(Array.from(v.data), `vox_offset ${off}`).toEqual(Array.from(good.data));
    }
    for (const off of [-16, Number.NaN, Infinity])
      await expect(decodeNifti(makeNifti([2, 3, 4], values, { voxOffset: off }))).rejects.toThrow(/vox_offset/);
  });

  it('scl_slope 0, NaN or ±Inf means no scaling (scl_inter ignored); a non-finite scl_inter with a real slope is an error', async () => {
    const values = [1, 2, 3, 4];
    for (const slope of [0, Number.NaN, Infinity, -Infinity]) {
      const v = await decodeNifti(makeNifti([4], values, { slope, inter: 100 }));
      expect(Array.from(v.data), `slope ${slope}`).toEqual(values);
    }
    expect(Array.from((await decodeNifti(makeNifti([4], values, { slope: 2, inter: -1 }))).data)).toEqual([1, 3, 5, 7]);
    for (const inter of [Number.NaN, Infinity])
      await expect(decodeNifti(makeNifti([4], values, { slope: 2, inter }))).rejects.toThrow(/scl_inter/);
  });

  it('non-finite voxels: bounds come from the finite ones; +Inf is white, -Inf and NaN black (any placement)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.constantFrom(Infinity, -Infinity, Number.NaN)), { minLength: 6, maxLength: 6 }),
        fc.constantFrom<'volume' | 'slice'>('volume', 'slice'),
        async (vals, normalise) => {
          const v = await decodeNifti(makeNifti([3, 2, 1], vals, { datatype: 64 }));
          const s = sliceVolume(v, { normalise });
          const finite = Array.from(v.data).filter(Number.isFinite);
          const [lo, hi] = finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
          const rows = [3, 4, 5, 0, 1, 2]; // row 0 is y = 1
          s.data.forEach((out, k) => {
            const x = v.data[rows[k]];
            expect(out).toBeGreaterThanOrEqual(0);
            expect(out).toBeLessThanOrEqual(1);
            if (x === Infinity) expect(out).toBe(1);
            else if (!Number.isFinite(x)) expect(out).toBe(0);
            else if (hi > lo) expect(out).toBeCloseTo((x - lo) / (hi - lo), 5);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('NIfTI: hostile headers and extensions', () => {
  // Extensions of the given sizes, each written where the previous one says it ends (a size
  // outside [16, 96] is given 16 bytes of room: such a chain is invalid at that point anyway).
  const room = (s: number) => (s >= 16 && s <= 96 ? s : 16);
  const ext = (sizes: number[]) => {
    const b = new Uint8Array(sizes.reduce((a, s) => a + room(s), 0));
    const dv = new DataView(b.buffer);
    let at = 0;
    for (const s of sizes) {
      dv.setInt32(at, s, true);
      dv.setInt32(at + 4, 4, true); // ecode
      at += room(s);
    }
    return b;
  };

  it('extensions pointing back at each other (+16 then -16) are an error, not an endless loop', async () => {
    const nii = makeNifti([2, 2, 1], [1, 2, 3, 4], { extensions: ext([16, -16, 16]) });
    await expect(decodeNifti(nii)).rejects.toThrow(/extension 1 at byte 368 has size -16/);
    await expect(decodeImage(gzipSync(nii))).rejects.toMatchObject({ code: 'DECODE' });
  });

  it('any chain of extension sizes: well-formed chains decode, the rest are DECODE errors (and every call ends)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.integer({ min: -64, max: 96 }), fc.integer({ min: 97, max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: -1 }), fc.constantFrom(16, 32, 48)), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const nii = makeNifti([2, 2, 1], [1, 2, 3, 4], { extensions: ext(sizes) });
        const dataAt = new DataView(nii.buffer).getFloat32(108, true);
        let at = 352;
        let ok = true;
        for (const s of sizes) {
          if (at + 8 > dataAt || s === 0) break;
          if (!(s >= 16 && s % 16 === 0 && at + s <= dataAt)) {
            ok = false;
            break;
          }
          at += s;
        }
        if (ok) expect(Array.from((await decodeNifti(nii)).data)).toEqual([1, 2, 3, 4]);
        else await expect(decodeNifti(nii)).rejects.toMatchObject({ code: 'DECODE' });
      }),
      { numRuns: 150 },
    );
  });

  it('header/image pairs, truncation, bad dims and oversized volumes are typed errors', async () => {
    const ok = makeNifti([4, 4, 4], new Array(64).fill(1));
    await expect(decodeNifti(ok.subarray(0, ok.length - 10), { file: 'a.nii' })).rejects.toThrow(/truncated/);
    await expect(decodeNifti(gzipSync(ok).subarray(0, 40))).rejects.toBeInstanceOf(DatasetError);
    await expect(decodeNifti(ok, { maxPixels: 10 })).rejects.toThrow(/exceeds the limit/);
    await expect(decodeNifti(ok, { maxBytes: 400 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    const bad = Uint8Array.from(ok);
    new DataView(bad.buffer).setInt16(40, 9, true);
    await expect(decodeNifti(bad)).rejects.toThrow(/dim\[0\]/);
    const pair = Uint8Array.from(ok);
    pair.set([0x6e, 0x69, 0x31, 0], 344); // "ni1": the voxels are in a separate .img
    await expect(decodeNifti(pair)).rejects.toThrow(/header\/image pair/);
  });

  it('a gzip bomb whose header claims more than maxBytes is refused before it is inflated', async () => {
    // 1024 x 1024 x 512 int16 = 1 GiB claimed; the gzip holds only the header
    const head = makeNifti([1024, 1024, 512], []);
    await expect(decodeNifti(gzipSync(head), { maxPixels: 2 ** 30 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });

  it('memory: a small .nii.gz is inflated only as far as its voxels reach, and a slice never makes a float copy of the volume', () => {
    // Measured in a child process: 64 MiB of uint8 voxels (a ~64 KiB .nii.gz) followed by 192 MiB
    // of zeros the header does not account for. Reading a slice must cost about the voxel bytes.
    const dir = tempDir('vlh-nifti-mem');
    const nii = makeNifti([512, 512, 256], new Uint8Array(512 * 512 * 256).fill(7), { datatype: 2 });
    const file = join(dir, 'big.nii.gz');
    writeFileSync(file, Buffer.concat([gzipSync(nii, { level: 1 }), gzipSync(new Uint8Array(192 * 1024 * 1024), { level: 1 })]));
    const script = join(dir, 'child.mts');
    const image = fileURLToPath(new URL('./image.ts', import.meta.url));
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
       import { decodeImage } from ${JSON.stringify(image)};
       // the high-water mark of this process's own memory (VmHWM restarts at exec; ru_maxrss
       // would include the parent's at fork time)
       const hwm = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
       const bytes = readFileSync(${JSON.stringify(file)});
       globalThis.gc?.();
       const before = hwm();
       const img = await decodeImage(bytes);
       console.log(JSON.stringify({ width: img.width, height: img.height, grew: (hwm() - before) / 2 ** 20 }));`,
    );
    const root = fileURLToPath(new URL('../../../..', import.meta.url));
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect([out.width, out.height]).toEqual([512, 512]);
    // 64 MiB of voxels + one slice; the old path (inflate all, copy, float volume) grew by > 1 GiB
    expect(out.grew).toBeLessThan(150);
  });
});
