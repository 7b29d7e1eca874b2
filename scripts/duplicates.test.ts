/**
 * The duplicate-code scan (scripts/duplicates.mjs) over packages/: no block of six or more lines
 * alike (up to names and literals) stands in two places, except the pairs CONTRIBUTING.md lists
 * with a reason. The scanner itself is checked on a planted copy, so it cannot pass by finding
 * nothing.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@healthgpt/testing';
// @ts-expect-error a plain ES module script without declarations
import { findDuplicates, allowedPairs, isAllowed, formatRow, MIN_LINES } from './duplicates.mjs';

interface Place {
  file: string;
  from: number;
  to: number;
}
interface Row {
  a: Place;
  b: Place;
  lines: number;
  exact: boolean;
}
const scan = findDuplicates as (dir: string) => Row[];
const allowed = allowedPairs as (contributing: string) => { a: string; b: string; reason: string }[];
const allowedRow = isAllowed as (row: Row, pairs: ReturnType<typeof allowed>) => boolean;

const root = fileURLToPath(new URL('..', import.meta.url));

const original = `export function total(items: Item[], rate: number): number {
  let sum = 0;
  for (const item of items) sum += item.price * item.count;
  const taxed = sum * (1 + rate);
  const rounded = Math.round(taxed * 100) / 100;
  if (rounded < 0) throw new RangeError(\`negative total \${rounded}\`);
  return rounded;
}
`;
// The same code with other names and literals (and other comments and spacing).
const renamed = `// weights of a batch
export function weigh(parts: Part[], factor: number): number {
  let acc = 0;   // running sum
  for (const part of parts) acc += part.mass * part.units;
  const scaled = acc * (2 + factor);
  const kept = Math.floor(scaled * 10) / 10;
  if (kept < 1) throw new TypeError(\`bad weight \${kept}\`);
  return kept;
}
`;

function repo(files: Record<string, string>): string {
  const dir = tempDir('dup-scan');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

describe('duplicate-code scan', () => {
  it('finds a block copied with other names and literals, and an identical one', () => {
    const rows = scan(repo({ 'a/one.ts': original, 'b/two.ts': `import { x } from 'y';\n${renamed}`, 'c/three.ts': original, 'd/notes.md': original }));
    const pairs = rows.map((r) => `${r.a.file}~${r.b.file}:${r.exact}`).sort();
    expect(pairs).toEqual(['a/one.ts~b/two.ts:false', 'a/one.ts~c/three.ts:true', 'b/two.ts~c/three.ts:false']);
    const ab = rows.find((r) => r.a.file === 'a/one.ts' && r.b.file === 'b/two.ts')!;
    expect(ab).toMatchObject({ a: { from: 1, to: 6 }, b: { from: 3, to: 8 }, lines: 6 }); // the closing `return x;` is too thin to extend a run alike only in shape
  });

  it('does not count blocks shorter than six lines, or different code', () => {
    const short = original.split('\n').slice(0, MIN_LINES - 1).join('\n');
    const other = original.replace('sum += item.price * item.count', 'sum = Math.max(sum, item.price)').replace('throw new RangeError', 'console.warn');
    expect(scan(repo({ 'a.ts': original, 'b.ts': short, 'c.ts': other }))).toEqual([]);
  });

  it('reads the allowed pairs from CONTRIBUTING.md, globs included', () => {
    const pairs = allowed('# x\n\n## Repeated code we keep\n\n| a | b | why |\n|---|---|---|\n| `a/*.ts` | `b/two.ts` | a test oracle |\n\n## Next\n| `c/three.ts` | `a/one.ts` | not in the section |\n');
    expect(pairs.map((p) => [p.a, p.b, p.reason])).toEqual([['a/*.ts', 'b/two.ts', 'a test oracle']]);
    const row = (a: string, b: string): Row => ({ a: { file: a, from: 1, to: 6 }, b: { file: b, from: 1, to: 6 }, lines: 6, exact: true });
    expect(allowedRow(row('b/two.ts', 'a/one.ts'), pairs)).toBe(true);
    expect(allowedRow(row('a/one.ts', 'c/three.ts'), pairs)).toBe(false);
  });

  it('packages/ repeats no block of six or more lines except the pairs CONTRIBUTING.md lists with a reason', () => {
    const pairs = allowed(readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8'));
    expect(pairs.length).toBeGreaterThan(0);
    const rows = scan(join(root, 'packages'));
    expect(rows.filter((r) => !allowedRow(r, pairs)).map(formatRow as (r: Row) => string)).toEqual([]);
    // every listed pair still names a repeat (a stale entry hides the next copy between those files)
    const stale = pairs.filter((p) => !rows.some((r) => allowedRow(r, [p] as never)));
    expect(stale.map((p) => `${p.a} ~ ${p.b}`)).toEqual([]);
  });
});
