import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SafetensorsError } from '@healthgpt/tensor-core';
import { MAX_HEADER_BYTES, numelOf, parseHeader, serializeHeader } from './format.js';
import { DTYPE_SIZE, type SafetensorsDtype } from './dtypes.js';

/** A file made by hand: header JSON (padded to 8) + data. */
function rawFile(header: object, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  json = new Uint8Array([...json, ...new Array(pad).fill(0x20)]);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const bad = (bytes: Uint8Array, re: RegExp) => {
  let err: unknown;
  try {
    parseHeader(bytes, bytes.length, 'f.safetensors');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as Error).message).toMatch(re);
  expect((err as SafetensorsError).file).toBe('f.safetensors');
};

describe('safetensors header validation', () => {
  it('too short', () => bad(new Uint8Array(3), /too short/));
  it('header length past the end', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, 1000n, true);
    bad(b, /runs past the end/);
  });
  it('header length over the bound', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    bad(b, /exceeds/);
  });
  it('not JSON', () => {
    const b = rawFile({});
    b.set(new TextEncoder().encode('{{'), 8);
    bad(b, /not valid UTF-8 JSON/);
  });
  it('not an object', () => bad(rawFile([1, 2]), /must be a JSON object/));
  it('unknown dtype', () => bad(rawFile({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /'a': unsupported dtype "F8"/));
  it('byte count ≠ shape × dtype size', () => bad(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /'a': holds 4 bytes but shape \[2\] of F32 needs 8/));
  it('offsets outside the data', () => bad(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /'a': data_offsets \[0,8\] run past/));
  it('a gap between tensors', () =>
    bad(rawFile({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] } }, new Uint8Array(3)), /'b' starts at byte 2 .* expected 1/));
  it('overlapping tensors', () =>
    bad(rawFile({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }, new Uint8Array(3)), /'b' starts at byte 1 .* expected 2/));
  it('trailing bytes not covered', () => bad(rawFile({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(5)), /cover 1 bytes but the data section has 5/));
  it('bad shape', () => bad(rawFile({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }), /'a': shape must be/));
  it('bad metadata', () => bad(rawFile({ __metadata__: { n: 1 } }), /__metadata__ must map strings to strings/));

  it('accepts zero-element tensors anywhere in the layout', () => {
    const b = rawFile(
      { z: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] }, a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, e: { dtype: 'I64', shape: [4, 0], data_offsets: [2, 2] } },
      new Uint8Array(2),
    );
    const h = parseHeader(b, b.length);
    expect(h.tensors.get('z')).toEqual({ dtype: 'F32', shape: [0, 3], dataOffsets: [0, 0] });
    expect(h.tensors.get('e')!.shape).toEqual([4, 0]);
  });
});

const dtypeArb = fc.constantFrom<SafetensorsDtype>('F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL');
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

describe('serializeHeader', () => {
  it('round-trips through parseHeader for any shapes and dtypes, zero-element ones included (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'), dtypeArb, shapeArb), { selector: (e) => e[0], maxLength: 6 }), (entries) => {
        const { bytes, dataBytes } = serializeHeader(entries.map(([name, dtype, shape]) => ({ name, dtype, shape })), { k: 'v' });
        expect(bytes.length % 8).toBe(0);
        const h = parseHeader(bytes, bytes.length + dataBytes);
        expect([...h.tensors.keys()].sort()).toEqual(entries.map((e) => e[0]).sort()); // JSON puts integer-like names first
        for (const [name, dtype, shape] of entries) {
          const info = h.tensors.get(name)!;
          expect([info.dtype, info.shape, info.dataOffsets[1] - info.dataOffsets[0]]).toEqual([dtype, shape, numelOf(shape) * DTYPE_SIZE[dtype]]);
        }
        expect(h.metadata).toEqual({ k: 'v' });
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a reserved or repeated name', () => {
    expect(() => serializeHeader([{ name: '__metadata__', dtype: 'F32', shape: [1] }])).toThrow(/reserved/);
    expect(() => serializeHeader([{ name: 'a', dtype: 'F32', shape: [1] }, { name: 'a', dtype: 'F32', shape: [1] }])).toThrow(/listed twice/);
  });

  it('random corruption gives a SafetensorsError or a valid parse, never another error (property)', () => {
    const { bytes: head, dataBytes } = serializeHeader([
      { name: 'w', dtype: 'F32', shape: [2, 2] },
      { name: 'b', dtype: 'I32', shape: [1] },
    ]);
    const good = new Uint8Array(head.length + dataBytes);
    good.set(head);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(good.length), (edits, cut) => {
        const b = good.slice(0, Math.max(cut, 1));
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        try {
          parseHeader(b, b.length);
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
