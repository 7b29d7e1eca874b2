import { describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');

describe('README', () => {
  it('the example runs as written (from the README text) and prints what the README says', async () => {
    const section = readme.slice(readme.indexOf('## Example'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
    const dir = mkdtempSync(join(pkgDir, '.tmp-readme-'));
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' ')));
    try {
      writeFileSync(join(dir, 'example.ts'), code);
      await import(pathToFileURL(join(dir, 'example.ts')).href);
    } finally {
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
    const promised = [...section.slice(section.indexOf('It prints')).split('\n\n')[0].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect(promised.length).toBeGreaterThanOrEqual(4);
    expect(lines).toEqual(promised);
  });

  it('links only to files that ship in the package (dist/) or to absolute URLs', () => {
    const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      if (/^https?:\/\//.test(link)) continue;
      expect(link, 'a relative link must point into dist/, which is all the tarball holds').toMatch(/^(\.\/)?dist\//);
      // the one shipped asset is copied there from docs/ by the build
      const source = join(pkgDir, 'docs', link.replace(/^(\.\/)?dist\//, ''));
      expect(existsSync(source), `${link} is built from ${source}`).toBe(true);
    }
    expect(readme).toMatch(/npm install @healthgpt\/vl-health/);
    expect(dirname(resolve(pkgDir))).toBeTruthy();
  });
});
