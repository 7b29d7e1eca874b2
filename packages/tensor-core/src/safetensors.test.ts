import { readFileSync, readdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  tf,
  loadSafetensors,
  saveSafetensors,
  parseSafetensors,
  serializeSafetensors,
  readSafetensorsHeader,
  SafetensorsError,
  fileDtypeOf,
  type SafetensorsDtype,
} from '@healthgpt/tensor-core';
import { goldenDir, expectNoLeaks } from '@healthgpt/testing';

const tmp = () => mkdtempSync(join(tmpdir(), 'st-'));

/** Build a file by hand: header JSON (padded to 8) + data. */
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

describe('safetensors reading the golden files', () => {
  const dir = goldenDir()!;
  it('reads selected tensors by offset, and I64 as int32 remembering its dtype', async () => {
    const path = join(dir, 'phi3_tiny.safetensors');
    const { tensors, dtypes } = await loadSafetensors(path, { keys: ['io.input_ids', 'lm_head.weight'] });
    expect([...tensors.keys()]).toEqual(['lm_head.weight', 'io.input_ids']);
    const ids = tensors.get('io.input_ids')!;
    expect(ids.dtype).toBe('int32');
    expect(ids.shape).toEqual([2, 12]);
    expect(dtypes.get('io.input_ids')).toBe('I64');
    expect(fileDtypeOf(ids)).toBe('I64');
    tensors.forEach((t) => t.dispose());
  });

  it('names unknown keys', async () => {
    await expect(loadSafetensors(join(dir, 'lora_linear.safetensors'), { keys: ['nope'] })).rejects.toThrow(/no tensor named 'nope'/);
  });

  it('loading leaks nothing beyond what it returns', async () => {
    await expectNoLeaks(async () => (await loadSafetensors(join(dir, 'hlora_linear.safetensors'))).tensors, { what: 'loadSafetensors' });
  });
});

describe('safetensors dtypes', () => {
  const cases: [SafetensorsDtype, number[], 'float32' | 'int32' | 'bool'][] = [
    ['F64', [1.5, -2.25, 1e-3], 'float32'],
    ['F32', [1.5, -2.25, 3.125], 'float32'],
    ['F16', [1.5, -2.25, 65504, 6.103515625e-5], 'float32'],
    ['BF16', [1.5, -2.25, 3.140625], 'float32'],
    ['I64', [0, -5, 2147483647], 'int32'],
    ['I32', [0, -5, 7], 'int32'],
    ['I16', [-32768, 32767, 3], 'int32'],
    ['I8', [-128, 127, 3], 'int32'],
    ['U8', [0, 255, 3], 'int32'],
    ['BOOL', [1, 0, 1], 'bool'],
  ];
  for (const [dtype, values, tfDtype] of cases) {
    it(`${dtype} round-trips through a file`, async () => {
      const t = tf.tensor(values, [values.length], tfDtype);
      const path = join(tmp(), 'x.safetensors');
      await saveSafetensors(path, { x: t }, { note: 'hi' }, { dtypes: { x: dtype } });
      const first = readFileSync(path);
      const { tensors, metadata, dtypes } = await loadSafetensors(path);
      expect(metadata).toEqual({ note: 'hi' });
      expect(dtypes.get('x')).toBe(dtype);
      const back = tensors.get('x')!;
      expect(back.dtype).toBe(tfDtype);
      expect(Array.from(back.dataSync())).toEqual(Array.from(t.dataSync()).map((v) => (dtype === 'F64' ? Math.fround(v) : v)));
      // Saved again without naming a dtype: the remembered one, byte for byte.
      const again = serializeSafetensors(tensors, metadata);
      expect(Buffer.compare(Buffer.from(again), first)).toBe(0);
      t.dispose();
      back.dispose();
    });
  }

  it('F16 and BF16 round to nearest even (property)', () => {
    fc.assert(
      fc.property(fc.float({ min: -60000, max: 60000, noNaN: true, noDefaultInfinity: true }), (v) => {
        const t = tf.tensor([v]);
        for (const dtype of ['F16', 'BF16'] as const) {
          const back = parseSafetensors(serializeSafetensors({ t }, undefined, { dtypes: { t: dtype } })).tensors.get('t')!;
          const r = back.dataSync()[0];
          const rel = Math.abs(r - v) / Math.max(Math.abs(v), 6.2e-5);
          expect(rel).toBeLessThanOrEqual(dtype === 'F16' ? 2 ** -11 + 1e-9 : 2 ** -8 + 1e-9);
          back.dispose();
        }
        t.dispose();
      }),
      { numRuns: 50 },
    );
  });

  it('refuses values that do not fit the file dtype, naming the tensor', () => {
    const t = tf.tensor([300], [1], 'int32');
    expect(() => serializeSafetensors({ big: t }, undefined, { dtypes: { big: 'U8' } })).toThrow(/'big'.*does not fit U8/);
    const f = tf.tensor([0.5]);
    expect(() => serializeSafetensors({ half: f }, undefined, { dtypes: { half: 'I32' } })).toThrow(/'half'.*cannot be stored as I32/);
    tf.dispose([t, f]);
  });

  it('refuses I64 values outside int32, naming the tensor', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, 2n ** 40n, true);
    const bytes = rawFile({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data);
    expect(() => parseSafetensors(bytes)).toThrow(/'ids' \(I64\) holds 1099511627776/);
  });
});

describe('safetensors header validation', () => {
  const bad = (bytes: Uint8Array, re: RegExp) => {
    let err: unknown;
    try {
      parseSafetensors(bytes, {}, 'f.safetensors');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as Error).message).toMatch(re);
  };

  it('too short', () => bad(new Uint8Array(3), /too short/));
  it('header length past the end', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, 1000n, true);
    bad(b, /runs past the end/);
  });
  it('header length over the bound', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
    bad(b, /exceeds/);
  });
  it('not JSON', () => {
    const b = rawFile({});
    b.set(new TextEncoder().encode('{{'), 8);
    bad(b, /not valid UTF-8 JSON/);
  });
  it('unknown dtype', () => bad(rawFile({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /'a': unsupported dtype "F8"/));
  it('byte count ≠ shape × dtype size', () => bad(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /'a': holds 4 bytes but shape \[2\] of F32 needs 8/));
  it('offsets outside the data', () => bad(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /'a': data_offsets \[0,8\] run past/));
  it('a gap between tensors', () =>
    bad(
      rawFile(
        { a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] } },
        new Uint8Array(3),
      ),
      /'b' starts at byte 2 .* expected 1/,
    ));
  it('trailing bytes not covered', () => bad(rawFile({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(5)), /cover 1 bytes but the data section has 5/));
  it('bad shape', () => bad(rawFile({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }), /'a': shape must be/));

  it('random corruption gives SafetensorsError or a valid parse, never another error (property)', () => {
    const t = tf.tensor([1, 2, 3, 4], [2, 2]);
    const good = serializeSafetensors({ w: t, b: tf.tensor([1], [1], 'int32') });
    t.dispose();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(good.length), (edits, cut) => {
        const b = good.slice(0, Math.max(cut, 1));
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        try {
          parseSafetensors(b).tensors.forEach((x) => x.dispose());
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('readSafetensorsHeader reads only the header and names a missing file', async () => {
    const h = await readSafetensorsHeader(join(goldenDir()!, 'lora_linear.safetensors'));
    expect(h.tensors.get('layer.weight')).toEqual({ dtype: 'F32', shape: [40, 24], dataOffsets: [0, 3840] });
    expect(h.metadata.fixture).toBe('lora_linear');
    await expect(readSafetensorsHeader('/nonexistent/x.safetensors')).rejects.toThrow(/cannot open \(ENOENT\) \(file \/nonexistent\/x.safetensors\)/);
  });
});

describe('atomic save', () => {
  it('leaves the old file intact and no temporary file when saving fails', async () => {
    const dir = tmp();
    const path = join(dir, 'm.safetensors');
    writeFileSync(path, 'old');
    const t = tf.tensor([1.5]);
    await expect(saveSafetensors(path, { t }, undefined, { dtypes: { t: 'I8' } })).rejects.toThrow(SafetensorsError);
    expect(readFileSync(path, 'utf8')).toBe('old');
    await saveSafetensors(path, { t });
    expect(readdirSync(dir)).toEqual(['m.safetensors']);
    expect(existsSync(path)).toBe(true);
    t.dispose();
  });
});
