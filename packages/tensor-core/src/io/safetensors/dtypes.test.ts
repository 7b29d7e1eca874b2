import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SafetensorsError } from '@healthgpt/tensor-core';
import { DTYPE_SIZE, decodeValues, encodeValues, floatToBfloat16, floatToHalf, halfToFloat, type SafetensorsDtype } from './dtypes.js';

const CASES: [SafetensorsDtype, number[]][] = [
  ['F64', [1.5, -2.25, 1e-3]],
  ['F32', [1.5, -2.25, 3.125]],
  ['F16', [1.5, -2.25, 65504, 6.103515625e-5]],
  ['BF16', [1.5, -2.25, 3.140625]],
  ['I64', [0, -5, 2147483647]],
  ['I32', [0, -5, 7]],
  ['I16', [-32768, 32767, 3]],
  ['I8', [-128, 127, 3]],
  ['U8', [0, 255, 3]],
  ['BOOL', [1, 0, 1]],
];

describe('dtype codecs', () => {
  for (const [dtype, values] of CASES) {
    it(`${dtype}: encode then decode gives the values back (float32 where the host is float)`, () => {
      const bytes = encodeValues(values, dtype, 'x');
      expect(bytes.length).toBe(values.length * DTYPE_SIZE[dtype]);
      const back = Array.from(decodeValues(dtype, bytes, values.length, 'x'));
      expect(back).toEqual(values.map((v) => (dtype === 'F64' ? Math.fround(v) : v)));
    });
    it(`${dtype}: zero elements encode to no bytes and decode to an empty array`, () => {
      expect(encodeValues([], dtype, 'x').length).toBe(0);
      expect(decodeValues(dtype, new Uint8Array(0), 0, 'x').length).toBe(0);
    });
  }

  it('F32 and I32 are little-endian on disk', () => {
    expect(Array.from(encodeValues([1], 'F32', 'x'))).toEqual([0, 0, 0x80, 0x3f]);
    expect(Array.from(encodeValues([-2], 'I32', 'x'))).toEqual([0xfe, 0xff, 0xff, 0xff]);
  });

  it('F16 and BF16 round to nearest even (property)', () => {
    fc.assert(
      fc.property(fc.float({ min: -60000, max: 60000, noNaN: true, noDefaultInfinity: true }), (v) => {
        const h = halfToFloat(floatToHalf(v));
        expect(Math.abs(h - v) / Math.max(Math.abs(v), 6.2e-5)).toBeLessThanOrEqual(2 ** -11 + 1e-9);
        const [b] = decodeValues('BF16', encodeValues([v], 'BF16', 'x'), 1, 'x');
        expect(Math.abs(b - v) / Math.max(Math.abs(v), 1e-30)).toBeLessThanOrEqual(2 ** -8 + 1e-9);
      }),
      { numRuns: 200 },
    );
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(floatToBfloat16(NaN) & 0x7f80).toBe(0x7f80);
  });

  it('refuses values that do not fit the dtype, naming the tensor and element', () => {
    expect(() => encodeValues([300], 'U8', 'big')).toThrow(/'big': value 300 at element 0 does not fit U8/);
    expect(() => encodeValues([1, 0.5], 'I32', 'half')).toThrow(/'half': value 0\.5 at element 1 cannot be stored as I32/);
    expect(() => encodeValues([40000], 'I16', 'x')).toThrow(SafetensorsError);
  });

  it('refuses I64 values outside int32, naming the tensor', () => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, 2n ** 40n, true);
    expect(() => decodeValues('I64', b, 1, 'ids', 'f.safetensors')).toThrow(/'ids' \(I64\) holds 1099511627776 at element 0/);
  });
});
