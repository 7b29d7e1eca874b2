import { resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TensorCoreError } from '@healthgpt/tensor-core';
import { checkRelativePath, checkShardName, tempPathOf, isTempName, JOURNAL_FILE } from './names.js';

describe('folder names', () => {
  it('relative paths: plain segments only', () => {
    expect(checkRelativePath('config.json')).toBe('config.json');
    expect(checkRelativePath('plugins/comprehension/adapter_config.json')).toBe('plugins/comprehension/adapter_config.json');
    expect(checkRelativePath('.gitattributes')).toBe('.gitattributes');
    for (const bad of ['', '../x', 'a/../b', '/etc/passwd', 'a//b', './a', 'a\\b', 'C:x', 'a\0b', JOURNAL_FILE, '.config.json.0123456789abcdef.hgtmp', 'x'.repeat(201), 3, null])
      expect(() => checkRelativePath(bad), String(bad)).toThrow(TensorCoreError);
  });

  it('an accepted relative path always stays inside its folder (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('..', '.', '', '/', '\\')), { minLength: 1, maxLength: 4 }), (parts) => {
        const p = parts.join('/');
        let ok: string | undefined;
        try {
          ok = checkRelativePath(p);
        } catch (e) {
          expect(e).toBeInstanceOf(TensorCoreError);
        }
        if (ok !== undefined) expect(resolve('/root/folder', ok).startsWith(`/root/folder${sep}`)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('shard names: one plain *.safetensors name in the folder', () => {
    expect(checkShardName('model-00001-of-00002.safetensors', 'i.json', 'k')).toBe('model-00001-of-00002.safetensors');
    for (const bad of ['../x.safetensors', '/abs/x.safetensors', 'a/b.safetensors', 'a\\b.safetensors', '.hidden.safetensors', 'x.bin', 'C:x.safetensors', '..safetensors', 7, ['x.safetensors'], null]) {
      let err: unknown;
      try {
        checkShardName(bad, 'd/model.safetensors.index.json', 'lm_head.weight');
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toBeInstanceOf(TensorCoreError);
      expect((err as TensorCoreError).code).toBe('FOLDER');
      expect((err as Error).message).toMatch(/file d\/model\.safetensors\.index\.json, key lm_head\.weight/);
    }
  });

  it('an accepted shard name is its own base name (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const name = `${s}.safetensors`;
        try {
          checkShardName(name, 'i', 'k');
          expect(resolve('/f', name)).toBe(`/f/${name}`);
        } catch (e) {
          expect(e).toBeInstanceOf(TensorCoreError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('temporary names sit beside their file and are recognised', () => {
    expect(tempPathOf('a/b/c.json', '0123456789abcdef')).toBe('a/b/.c.json.0123456789abcdef.hgtmp');
    expect(isTempName('.c.json.0123456789abcdef.hgtmp')).toBe(true);
    expect(isTempName('c.json')).toBe(false);
  });
});
