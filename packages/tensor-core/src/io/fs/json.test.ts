import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TensorCoreError } from '@healthgpt/tensor-core';
import { openRegularFile } from './safe_open.js';
import { jsonErrorOffset, parseJsonText, readJsonFile } from './json.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'json-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = async (name: string, data: string | Uint8Array, max?: number) => {
  writeFileSync(join(dir, name), data);
  const f = (await openRegularFile(join(dir, name)))!;
  try {
    return await readJsonFile(f, max);
  } finally {
    await f.fh.close();
  }
};

describe('JSON files', () => {
  it('a syntax error names the file and the line', async () => {
    const err = await read('config.json', '{\n  "a": 1,\n  "b": }\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TensorCoreError);
    expect((err as TensorCoreError).code).toBe('CONFIG');
    expect((err as TensorCoreError).line).toBe(3);
    expect((err as Error).message).toMatch(/invalid JSON at column \d+ .*\(file .*config\.json, line 3\)/);
  });

  it('skips a byte-order mark, refuses invalid UTF-8 and files over the bound', async () => {
    expect(await read('bom.json', '\ufeff{"a": 1}')).toEqual({ a: 1 });
    await expect(read('bad.json', new Uint8Array([0x7b, 0xff, 0x7d]))).rejects.toThrow(/not valid UTF-8/);
    await expect(read('big.json', '{"a": "' + 'x'.repeat(100) + '"}', 50)).rejects.toThrow(/more than the 50-byte bound/);
  });

  it('the error locator agrees with JSON.parse on valid and broken JSON (property)', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom('', '}', ',', '"', 'x', ']', '\\', ':'), (text, at, junk) => {
        expect(jsonErrorOffset(text)).toBe(-1);
        const broken = text.slice(0, at % (text.length + 1)) + junk + text.slice(at % (text.length + 1));
        let ok = true;
        try {
          JSON.parse(broken);
        } catch {
          ok = false;
        }
        expect(jsonErrorOffset(broken) === -1).toBe(ok);
      }),
      { numRuns: 300 },
    );
  });

  it('any text gives a value or a CONFIG error, never another error (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseJsonText(text, 'f.json');
        } catch (e) {
          expect(e).toBeInstanceOf(TensorCoreError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
