/** Test helper: write a minimal explicit-VR little-endian DICOM Part 10 file (not exported by the package). */
export interface DicomSpec {
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  pixels: number[];
  /** Numbers, or any text to write into the DS element. */
  slope?: number | string;
  intercept?: number | string;
  window?: { center: number | string; width: number | string };
  /** Any photometric interpretation (MONOCHROME2 by default). */
  photometric?: string;
  modality?: string;
  transferSyntax?: string;
}

export function makeDicom(s: DicomSpec): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const el = (group: number, elem: number, vr: string, value: number[]) => {
    if (value.length % 2) value.push(vr === 'UI' ? 0 : vr === 'OB' ? 0 : 0x20);
    u16(group);
    u16(elem);
    parts.push(vr.charCodeAt(0), vr.charCodeAt(1));
    if (['OB', 'OW', 'UN', 'SQ', 'UT'].includes(vr)) {
      u16(0);
      u32(value.length);
    } else u16(value.length);
    parts.push(...value);
  };
  const str = (t: string) => [...t].map((c) => c.charCodeAt(0));
  const us = (v: number) => [v & 0xff, (v >> 8) & 0xff];
  for (let i = 0; i < 128; i++) parts.push(0);
  parts.push(...str('DICM'));
  el(0x0002, 0x0010, 'UI', str(s.transferSyntax ?? '1.2.840.10008.1.2.1'));
  el(0x0008, 0x0060, 'CS', str(s.modality ?? 'CT'));
  el(0x0028, 0x0002, 'US', us(1));
  el(0x0028, 0x0004, 'CS', str(s.photometric ?? 'MONOCHROME2'));
  el(0x0028, 0x0010, 'US', us(s.rows));
  el(0x0028, 0x0011, 'US', us(s.columns));
  el(0x0028, 0x0100, 'US', us(s.bitsAllocated));
  const stored = s.bitsStored ?? s.bitsAllocated;
  el(0x0028, 0x0101, 'US', us(stored));
  el(0x0028, 0x0102, 'US', us(stored - 1));
  el(0x0028, 0x0103, 'US', us(s.signed ? 1 : 0));
  if (s.window) {
    el(0x0028, 0x1050, 'DS', str(String(s.window.center)));
    el(0x0028, 0x1051, 'DS', str(String(s.window.width)));
  }
  if (s.intercept !== undefined) el(0x0028, 0x1052, 'DS', str(String(s.intercept)));
  if (s.slope !== undefined) el(0x0028, 0x1053, 'DS', str(String(s.slope)));
  const px: number[] = [];
  for (const v of s.pixels) {
    const m = s.bitsAllocated === 8 ? v & 0xff : v & 0xffff;
    if (s.bitsAllocated === 8) px.push(m);
    else px.push(m & 0xff, m >> 8);
  }
  el(0x7fe0, 0x0010, s.bitsAllocated === 8 ? 'OB' : 'OW', px);
  return Uint8Array.from(parts);
}

export interface NiftiSpec {
  /** 2 uint8, 4 int16 (default), 16 float32, 64 float64. */
  datatype?: 2 | 4 | 16 | 64;
  slope?: number;
  inter?: number;
  littleEndian?: boolean;
  /** The header's vox_offset (default: where the data is written). */
  voxOffset?: number;
  /** Extension bytes written after the extension flag (the flag is set when given). */
  extensions?: Uint8Array;
}

/** Test helper: a minimal NIfTI-1 single file (.nii); voxels follow the header, flag and extensions. */
export function makeNifti(dims: number[], data: ArrayLike<number>, opts: NiftiSpec = {}): Uint8Array {
  const { datatype = 4, slope = 1, inter = 0, littleEndian = true, extensions } = opts;
  const bpv = { 2: 1, 4: 2, 16: 4, 64: 8 }[datatype];
  const dataAt = 352 + (extensions?.length ?? 0);
  const buf = new ArrayBuffer(dataAt + data.length * bpv);
  const dv = new DataView(buf);
  dv.setInt32(0, 348, littleEndian);
  dv.setInt16(40, dims.length, littleEndian);
  dims.forEach((d, i) => dv.setInt16(42 + 2 * i, d, littleEndian));
  for (let i = dims.length; i < 7; i++) dv.setInt16(42 + 2 * (i + 1), 1, littleEndian);
  dv.setInt16(70, datatype, littleEndian);
  dv.setInt16(72, bpv * 8, littleEndian);
  for (let i = 0; i < 8; i++) dv.setFloat32(76 + 4 * i, 1, littleEndian);
  dv.setFloat32(108, opts.voxOffset ?? dataAt, littleEndian);
  dv.setFloat32(112, slope, littleEndian);
  dv.setFloat32(116, inter, littleEndian);
  new Uint8Array(buf).set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  if (extensions) {
    new Uint8Array(buf)[348] = 1;
    new Uint8Array(buf).set(extensions, 352);
  }
  const set = { 2: (o: number, v: number) => dv.setUint8(o, v), 4: (o: number, v: number) => dv.setInt16(o, v, littleEndian), 16: (o: number, v: number) => dv.setFloat32(o, v, littleEndian), 64: (o: number, v: number) => dv.setFloat64(o, v, littleEndian) }[datatype];
  for (let i = 0; i < data.length; i++) set(dataAt + bpv * i, data[i]);
  return new Uint8Array(buf);
}
