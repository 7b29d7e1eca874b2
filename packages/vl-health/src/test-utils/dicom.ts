/** Test helper: write a minimal explicit-VR little-endian DICOM Part 10 file (not exported by the package). */
export interface DicomSpec {
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  pixels: number[];
  slope?: number;
  intercept?: number;
  window?: { center: number; width: number };
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
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

/** Test helper: a minimal NIfTI-1 single file (.nii) holding int16 or float32 data. */
export function makeNifti(dims: number[], data: number[], opts: { datatype?: 4 | 16; slope?: number; inter?: number; littleEndian?: boolean } = {}): Uint8Array {
  const { datatype = 4, slope = 1, inter = 0, littleEndian = true } = opts;
  const bpv = datatype === 4 ? 2 : 4;
  const buf = new ArrayBuffer(352 + data.length * bpv);
  const dv = new DataView(buf);
  dv.setInt32(0, 348, littleEndian);
  dv.setInt16(40, dims.length, littleEndian);
  dims.forEach((d, i) => dv.setInt16(42 + 2 * i, d, littleEndian));
  for (let i = dims.length; i < 7; i++) dv.setInt16(42 + 2 * (i + 1), 1, littleEndian);
  dv.setInt16(70, datatype, littleEndian);
  dv.setInt16(72, bpv * 8, littleEndian);
  for (let i = 0; i < 8; i++) dv.setFloat32(76 + 4 * i, 1, littleEndian);
  dv.setFloat32(108, 352, littleEndian);
  dv.setFloat32(112, slope, littleEndian);
  dv.setFloat32(116, inter, littleEndian);
  new Uint8Array(buf).set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  data.forEach((v, i) => (datatype === 4 ? dv.setInt16(352 + 2 * i, v, littleEndian) : dv.setFloat32(352 + 4 * i, v, littleEndian)));
  return new Uint8Array(buf);
}
