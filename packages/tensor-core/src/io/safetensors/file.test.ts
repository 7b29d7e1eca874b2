import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  tf,
  loadSafetensors,
  saveSafetensors,
  parseSafetensors,
  serializeSafetensors,
  readSafetensorsHeader,
  SafetensorsError,
  TensorCoreError,
  fileDtypeOf,
  type SafetensorsDtype,
} from '@healthgpt/tensor-core';
import { goldenDir, expectNoLeaks } from '@healthgpt/testing';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'st-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors files: the golden fixtures', () => {
  const golden = goldenDir()!;
  it('reads selected tensors by offset, and I64 as int32 remembering its dtype', async () => {
    const { tensors, dtypes } = await loadSafetensors(join(golden, 'phi3_tiny.safetensors'), { keys: ['io.input_ids', 'lm_head.weight'] });
    expect([...tensors.keys()]).toEqual(['lm_head.weight', 'io.input_ids']);
    const ids = tensors.get('io.input_ids')!;
    expect([ids.dtype, ids.shape, dtypes.get('io.input_ids'), fileDtypeOf(ids)]).toEqual(['int32', [2, 12], 'I64', 'I64']);
    tensors.forEach((t) => t.dispose());
  });

  it('names unknown keys', async () => {
    await expect(loadSafetensors(join(golden, 'lora_linear.safetensors'), { keys: ['nope'] })).rejects.toThrow(/no tensor named 'nope'/);
  });

  it('loading leaks nothing beyond what it returns', async () => {
    await expectNoLeaks(async () => (await loadSafetensors(join(golden, 'hlora_linear.safetensors'))).tensors, { what: 'loadSafetensors' });
  });

  it('readSafetensorsHeader reads only the header', async () => {
    const h = await readSafetensorsHeader(join(golden, 'lora_linear.safetensors'));
    expect(h.tensors.get('layer.weight')).toEqual({ dtype: 'F32', shape: [40, 24], dataOffsets: [0, 3840] });
    expect(h.metadata.fixture).toBe('lora_linear');
  });
});

describe('safetensors files: round trips', () => {
  const cases: [SafetensorsDtype, number[], 'float32' | 'int32' | 'bool'][] = [
    ['F64', [1.5, -2.25, 1e-3], 'float32'],
    ['F32', [1.5, -2.25, 3.125], 'float32'],
    ['F16', [1.5, -2.25, 65504], 'float32'],
    ['BF16', [1.5, -2.25, 3.140625], 'float32'],
    ['I64', [0, -5, 2147483647], 'int32'],
    ['I32', [0, -5, 7], 'int32'],
    ['I16', [-32768, 32767, 3], 'int32'],
    ['I8', [-128, 127, 3], 'int32'],
    ['U8', [0, 255, 3], 'int32'],
    ['BOOL', [1, 0, 1], 'bool'],
  ];
  for (const [dtype, values, tfDtype] of cases) {
    it(`${dtype} round-trips through a file, and saves back byte for byte`, async () => {
      const t = tf.tensor(values, [values.length], tfDtype);
      const path = join(dir, 'x.safetensors');
      await saveSafetensors(path, { x: t }, { note: 'hi' }, { dtypes: { x: dtype } });
      const first = readFileSync(path);
      const { tensors, metadata, dtypes } = await loadSafetensors(path);
      expect([metadata, dtypes.get('x')]).toEqual([{ note: 'hi' }, dtype]);
      const back = tensors.get('x')!;
      expect(back.dtype).toBe(tfDtype);
      expect(Array.from(back.dataSync())).toEqual(values.map((v) => (dtype === 'F64' ? Math.fround(v) : v)));
      expect(Buffer.compare(Buffer.from(serializeSafetensors(tensors, metadata)), first)).toBe(0);
      tf.dispose([t, back]);
    });
  }

  it('zero-element tensors ([0, 3], [4, 0], [0]) round-trip among others, in memory and through a file', async () => {
    const made = { empty: tf.zeros([0, 3]), w: tf.tensor([[1, 2, 3]]), wide: tf.zeros([4, 0], 'int32'), none: tf.tensor([], [0], 'bool') };
    const path = join(dir, 'z.safetensors');
    await saveSafetensors(path, made);
    for (const { tensors } of [await loadSafetensors(path), parseSafetensors(readFileSync(path))]) {
      expect([...tensors].map(([k, t]) => [k, t.shape, t.dtype])).toEqual([
        ['empty', [0, 3], 'float32'],
        ['w', [1, 3], 'float32'],
        ['wide', [4, 0], 'int32'],
        ['none', [0], 'bool'],
      ]);
      expect(Array.from(tensors.get('w')!.dataSync())).toEqual([1, 2, 3]);
      tensors.forEach((t) => t.dispose());
    }
    tf.dispose(Object.values(made));
  });

  it('any map of float tensors round-trips exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.integer()), { maxLength: 5 }), (specs) => {
        const made = new Map(specs.map(([shape, seed], i) => [`t${i}`, tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, j) => Math.fround(Math.sin(seed + j) * 1e3)), shape)]));
        const back = parseSafetensors(serializeSafetensors(made)).tensors;
        for (const [k, t] of made) {
          expect(back.get(k)!.shape).toEqual(t.shape);
          expect(Array.from(back.get(k)!.dataSync())).toEqual(Array.from(t.dataSync()));
        }
        tf.dispose([...made.values(), ...back.values()]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('safetensors files: failures', () => {
  it('a failed save leaves the old file intact and no temporary file', async () => {
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

  it('a missing file, a folder or a FIFO is a typed error naming it, without blocking', async () => {
    await expect(readSafetensorsHeader(join(dir, 'none.safetensors'))).rejects.toThrow(/does not exist \(file .*none\.safetensors\)/);
    await expect(loadSafetensors(dir)).rejects.toThrow(/is a folder/);
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    await expect(loadSafetensors(fifo)).rejects.toThrow(TensorCoreError);
    await expect(readSafetensorsHeader(fifo)).rejects.toThrow(/is a FIFO; only regular files are read/);
    symlinkSync(fifo, join(dir, 'link.safetensors'));
    await expect(readSafetensorsHeader(join(dir, 'link.safetensors'))).rejects.toThrow(/is a FIFO/);
  });

  it('a truncated file names the file and leaks nothing', async () => {
    const t = tf.ones([64]);
    const path = join(dir, 't.safetensors');
    await saveSafetensors(path, { a: t, b: t });
    writeFileSync(path, readFileSync(path).subarray(0, 200));
    await expectNoLeaks(
      async () => {
        await expect(loadSafetensors(path)).rejects.toThrow(/t\.safetensors/);
      },
      { what: 'failed load' },
    );
    t.dispose();
  });
});
