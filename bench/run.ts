/**
 * `npm run bench [-- section ...]`: runs every `packages/<pkg>/bench/*.bench.ts` and the
 * cross-package sections in `bench/*.bench.ts` (e.g. `training`), or the sections named (a file's
 * name without `.bench.ts`, or a package folder), writes `bench/results/<name>.json` and
 * `bench/results/<name>.md`, and prints each table.
 *
 * A bench file default-exports an async function returning a `BenchReport` (see bench/report.ts).
 */
import { readdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeReport, type BenchFn } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const wanted = process.argv.slice(2);

const files: string[] = [];
const dirs: [string, string][] = readdirSync(join(root, 'packages')).map((pkg) => [pkg, join(root, 'packages', pkg, 'bench')]);
dirs.push(['', join(root, 'bench')]);
for (const [pkg, dir] of dirs) {
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()) {
    const name = basename(f, '.bench.ts');
    if (wanted.length && !wanted.includes(name) && !(pkg && wanted.includes(pkg))) continue;
    files.push(join(dir, f));
  }
}
if (!files.length) {
  console.error(`no bench files match ${wanted.join(', ') || '(all)'}`);
  process.exit(1);
}
for (const file of files) {
  const mod = (await import(pathToFileURL(file).href)) as { default: BenchFn };
  console.error(`# running ${file.slice(root.length)}`);
  const report = await mod.default();
  const md = await writeReport(join(root, 'bench', 'results'), report);
  console.log(md);
}
