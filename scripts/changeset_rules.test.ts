import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@healthgpt/testing';
// @ts-expect-error: a plain .mjs script without declarations
import { changesetProblems } from './changeset-rules.mjs';

const problemsOf = changesetProblems as (root: string) => string[];

/** A workspace with a published, a private and an ignored package, and the given changesets. */
function workspace(changesets: Record<string, string>): string {
  const root = tempDir('changesets');
  const packages: [string, object][] = [['a', { name: '@x/a' }], ['p', { name: '@x/p', private: true }], ['i', { name: '@x/i' }]];
  for (const [dir, pkg] of packages) {
    mkdirSync(join(root, 'packages', dir), { recursive: true });
    writeFileSync(join(root, 'packages', dir, 'package.json'), JSON.stringify({ version: '0.1.0', ...pkg }));
  }
  mkdirSync(join(root, '.changeset'));
  writeFileSync(join(root, '.changeset', 'config.json'), JSON.stringify({ ignore: ['@x/i'] }));
  writeFileSync(join(root, '.changeset', 'README.md'), '# Changesets\n');
  for (const [name, text] of Object.entries(changesets)) writeFileSync(join(root, '.changeset', name), text);
  return root;
}

describe('changeset rules (part of npm run lint:publish)', () => {
  it("finds nothing wrong with this repository's changesets", () => {
    expect(problemsOf(fileURLToPath(new URL('..', import.meta.url)))).toEqual([]);
  });

  it('accepts a well-formed changeset, quoted or not', () => {
    expect(problemsOf(workspace({ 'ok.md': '---\n"@x/a": minor\n---\n\nAdds a thing.\n', 'bare.md': "---\n'@x/a': patch\n---\nFixes it.\n" }))).toEqual([]);
  });

  it('names the file and line of each problem: private, ignored or unknown packages, a bad bump, no summary, no front matter', () => {
    const problems = problemsOf(
      workspace({
        'ignored.md': '---\n"@x/a": patch\n"@x/i": patch\n---\n\nMixed.\n',
        'private.md': '---\n"@x/p": minor\n---\n\nPrivate.\n',
        'unknown.md': '---\n"@x/zz": patch\n---\n\nWho?\n',
        'bump.md': '---\n"@x/a": huge\n---\n\nBig.\n',
        'silent.md': '---\n"@x/a": patch\n---\n\n',
        'plain.md': 'Just text.\n',
        'open.md': '---\n"@x/a": patch\n',
        'empty.md': '---\n---\n\nNothing.\n',
      }),
    );
    expect(problems).toEqual([
      '.changeset/bump.md:2: @x/a: bump must be patch, minor or major, got huge',
      '.changeset/empty.md:2: names no package',
      '.changeset/ignored.md:3: @x/i is not published (private or ignored in .changeset/config.json); leave it out',
      '.changeset/open.md:1: the front matter is never closed with ---',
      '.changeset/plain.md:1: a changeset starts with a --- front matter line',
      '.changeset/private.md:2: @x/p is not published (private or ignored in .changeset/config.json); leave it out',
      '.changeset/silent.md:3: says nothing below the front matter (what changed, for the changelog)',
      '.changeset/unknown.md:2: @x/zz is not a package of this workspace',
    ]);
  });
});
