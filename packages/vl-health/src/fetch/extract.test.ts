import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { extractArchive } from './extract.js';
import { makeTar, makeZip, lieAboutSizes, type TarEntry, type TarType } from '../test_util/archives.js';
import { tempDir } from '@healthgpt/testing';

/** Every path under `dir`, relative, sorted (folders end with '/'). */
function tree(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) => {
    const rel = posix.join(base, e.name);
    return e.isDirectory() ? [`${rel}/`, ...tree(dir, rel)] : [rel];
  }).sort();
}

/** A name an archive may carry: plain, nested, or hostile. */
const SAFE = ['a.txt', 'b/c.json', 'VQA_RAD/x.jpg', '..foo.jpg', 'a/..b/c', 'dir/'];
const UNSAFE = ['../evil', 'a/../../evil', '/abs/evil', '..', 'a/../..', '\\..\\evil'];
const safeName = fc.constantFrom(...SAFE.filter((n) => !n.endsWith('/')));
const anyName = fc.oneof(safeName, fc.constantFrom(...UNSAFE));

/** What a well-behaved extractor must say of an entry name (null: fine). */
function verdict(name: string): 'UNSAFE_PATH' | null {
  const clean = name.replace(/\\/g, '/');
  if (clean.startsWith('/') || clean.split('/').includes('..')) return 'UNSAFE_PATH';
  return null;
}

async function extractIn(archive: Uint8Array, file: string, limits = {}) {
  const base = tempDir('vlh-extract');
  const into = join(base, 'into');
  mkdirSync(into);
  writeFileSync(join(base, 'archive-' + file), archive);
  const outcome = await extractArchive(join(base, 'archive-' + file), into, limits).then(
    (r) => ({ ok: true as const, ...r }),
    (e) => ({ ok: false as const, code: e.code as string, message: String(e.message), error: e }),
  );
  return { base, into, outcome };
}

describe('extractArchive: hostile entries (tar, tar.gz, zip)', () => {
  it('property: an entry that leaves the folder is an UNSAFE_PATH error naming it, and nothing lands outside', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyName, { minLength: 1, maxLength: 5 }), fc.constantFrom('tar', 'tar.gz', 'zip'), async (names, kind) => {
        const uniq = [...new Set(names)];
        const data = (n: string) => Buffer.from(`content of ${n}`);
        const archive = kind === 'zip' ? makeZip(uniq.map((name) => ({ name, data: data(name) }))) : makeTar(uniq.map((name) => ({ name, data: data(name) })));
        const { base, into, outcome } = await extractIn(kind === 'tar.gz' ? gzipSync(archive) : archive, kind);
        expect(readdirSync(base).sort()).toEqual([`archive-${kind}`, 'into']); // nothing beside the target
        const bad = uniq.find((n) => verdict(n));
        if (bad) {
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) {
            expect(outcome.code).toBe('UNSAFE_PATH');
            expect(outcome.error.key).toBeDefined();
          }
        } else {
          expect(outcome).toMatchObject({ ok: true, entries: uniq.length });
          for (const n of uniq) expect(readFileSync(join(into, n), 'utf8')).toBe(`content of ${n}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('property: only files and folders are unpacked; links, hard links and devices are refused (tar)', async () => {
    const types: TarType[] = ['file', 'dir', 'symlink', 'hardlink', 'fifo', 'chardev'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...types), { minLength: 1, maxLength: 4 }), async (kinds) => {
        const entries: TarEntry[] = kinds.map((type, i) => ({ name: type === 'dir' ? `d${i}/` : `e${i}`, type, data: Buffer.from('x'), target: type.endsWith('link') ? '/etc/passwd' : undefined }));
        const { into, outcome } = await extractIn(makeTar(entries), 'tar');
        const refused = kinds.some((k) => k !== 'file' && k !== 'dir');
        expect(outcome.ok).toBe(!refused);
        if (!outcome.ok) expect(outcome.message).toMatch(/archives may hold only files and folders/);
        for (const p of tree(into)) expect(statSync(join(into, p)).isFile() || statSync(join(into, p)).isDirectory()).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('a zip entry stored as a symbolic link is refused', async () => {
    const { outcome } = await extractIn(makeZip([{ name: 'ok.txt', data: Buffer.from('x') }, { name: 'link', data: Buffer.from('/etc/passwd'), symlink: true }]), 'zip');
    expect(outcome).toMatchObject({ ok: false, code: 'UNSAFE_PATH' });
  });

  it('./ entries and nested folders unpack; a non-archive is a DECODE error', async () => {
    const { into, outcome } = await extractIn(makeTar([{ name: './', type: 'dir' }, { name: './x/', type: 'dir' }, { name: './x/y.txt', data: Buffer.from('y') }]), 'tar');
    expect(outcome.ok).toBe(true);
    expect(tree(into)).toEqual(['x/', 'x/y.txt']);
    expect((await extractIn(Buffer.from('hello, not an archive'), 'txt')).outcome).toMatchObject({ ok: false, code: 'DECODE' });
    const cut = makeZip([{ name: 'a.txt', data: Buffer.alloc(5000, 1) }]);
    expect((await extractIn(cut.subarray(0, cut.length - 30), 'zip')).outcome).toMatchObject({ ok: false, code: 'DECODE' });
  });
});

describe('extractArchive: sizes, counts and ratios', () => {
  it('property: over the entry count or the total size is TOO_LARGE; within both, everything unpacks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 12_000 }),
        fc.constantFrom('tar', 'tar.gz', 'zip'),
        async (sizes, maxEntries, maxBytes, kind) => {
          const entries = sizes.map((n, i) => ({ name: `f${i}.bin`, data: Buffer.alloc(n, i + 1) }));
          const archive = kind === 'zip' ? makeZip(entries) : makeTar(entries);
          const { into, outcome } = await extractIn(kind === 'tar.gz' ? gzipSync(archive) : archive, kind, { maxEntries, maxBytes, maxRatio: Infinity });
          const total = sizes.reduce((a, b) => a + b, 0);
          const tooBig = sizes.length > maxEntries || total > maxBytes;
          expect(outcome.ok, JSON.stringify(outcome)).toBe(!tooBig);
          if (!outcome.ok) expect(outcome.code).toBe('TOO_LARGE');
          else expect(tree(into)).toEqual(entries.map((e) => e.name).sort());
          // never more written than the limit allows
          const written = tree(into).reduce((a, p) => a + statSync(join(into, p)).size, 0);
          expect(written).toBeLessThanOrEqual(Math.max(maxBytes, 0) + 3000);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a zip bomb is refused from its central directory before a byte is written', async () => {
    const bomb = makeZip([{ name: 'zeros.bin', data: new Uint8Array(16 * 2 ** 20) }]); // 16 MiB of zeros in ~16 KiB
    expect(bomb.length).toBeLessThan(50_000);
    const { into, outcome } = await extractIn(bomb, 'zip');
    expect(outcome).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    expect(outcome.ok === false && outcome.message).toMatch(/ratio above 200/);
    expect(tree(into)).toEqual([]);
  });

  it('a tar.gz bomb is stopped by the ratio as it streams, long before its size', async () => {
    const bomb = gzipSync(makeTar([{ name: 'zeros.bin', data: new Uint8Array(16 * 2 ** 20) }]), { level: 9 });
    const { into, outcome } = await extractIn(bomb, 'tar.gz');
    expect(outcome).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    const written = tree(into).reduce((a, p) => a + statSync(join(into, p)).size, 0);
    expect(written).toBeLessThan(8 * 2 ** 20);
  });

  it('a zip whose entries lie about their size is a DECODE error; no entry grows past what it declared', async () => {
    const honest = makeZip([{ name: 'big.bin', data: Buffer.alloc(100_000, 7) }]);
    const { into, outcome } = await extractIn(lieAboutSizes(honest, 1000), 'zip', { maxRatio: Infinity });
    expect(outcome).toMatchObject({ ok: false, code: 'DECODE' });
    for (const p of tree(into)) expect(statSync(join(into, p)).size).toBeLessThanOrEqual(1000);
  });
});
