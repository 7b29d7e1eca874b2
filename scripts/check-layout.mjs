#!/usr/bin/env node
// One layout for every package folder under packages/* (CONTRIBUTING.md, "Files"):
//  - file and folder names are snake_case (tfjs's convention), with the suffixes `.test.ts`,
//    `.parity.test.ts`, `.bench.ts` and `.test_util.ts`; a bench may be named after its package
//    folder (`h-lora.bench.ts`, the section name of `npm run bench`);
//  - test support has one name: a module that only tests use is `<topic>.test_util.ts` (or sits in
//    a `test_util/` folder); never `test_utils`, `test_helpers`, `test-utils`, `helpers`, …;
//  - an imported @healthgpt package is declared: in `dependencies` when shipped code (src, not a
//    test) imports it, else in `dependencies` or `devDependencies` (so `@healthgpt/testing` is a
//    devDependency wherever it is imported);
//  - no relative import reaches into another package's folder (import the package by name).
// Exit 1 on any problem.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = process.argv[2] ? resolve(process.argv[2]) + sep : new URL('..', import.meta.url).pathname;
const SKIP = new Set(['node_modules', 'dist', 'api', 'build', 'npm', 'fixtures', 'docs', '.turbo']);
const CODE = /\.(ts|mts|cts|mjs|cjs|js)$/;
const problems = [];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP.has(name) && !name.startsWith('.')) walk(path, out);
    } else out.push(path);
  }
  return out;
}

const snake = /^[a-z0-9]+(_[a-z0-9]+)*$/;
const testish = /(^|[._-])(tests?|helpers?|utils?|test_?utils?)([._-]|$)/i;

for (const folder of readdirSync(join(root, 'packages')).sort()) {
  const pkgDir = join(root, 'packages', folder);
  if (!existsSync(join(pkgDir, 'package.json'))) continue;
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  const devDeps = new Set(Object.keys(pkg.devDependencies ?? {}));
  for (const file of walk(pkgDir).filter((f) => CODE.test(f) && !f.endsWith('.d.ts'))) {
    const rel = relative(root, file);
    const inPkg = relative(pkgDir, file);
    if (/^[^/]+\.(ts|mjs|cjs|js)$/.test(inPkg)) continue; // tsup.config.ts and other root config files
    // --- names ---
    for (const part of dirname(inPkg).split(sep).filter((p) => p !== '.'))
      if (!snake.test(part)) problems.push(`${rel}: folder "${part}" is not snake_case`);
    const base = file.split(sep).pop();
    const m = /^([^.]+)((?:\.parity)?\.test|\.test_util|\.bench)?\.(ts|mts|cts|mjs|cjs|js)$/.exec(base);
    const stem = m?.[1];
    if (!m || !(snake.test(stem) || (m[2] === '.bench' && stem === folder)))
      problems.push(`${rel}: name it snake_case, with .test.ts, .parity.test.ts, .bench.ts or .test_util.ts as its suffix`);
    else if (!m[2] && inPkg.split(sep)[0] === 'test')
      problems.push(`${rel}: a helper in test/ is named <topic>.test_util.ts`);
    else if (!m[2] && testish.test(stem) && !inPkg.split(sep).includes('test_util'))
      problems.push(`${rel}: test support is named <topic>.test_util.ts (or sits in a test_util/ folder)`);
    // --- imports ---
    const text = readFileSync(file, 'utf8');
    const shipped = inPkg.startsWith(`src${sep}`) && !m?.[2];
    for (const [, spec] of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\(\s*|^import\s+)['"]([^'"]+)['"]/gm)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        const other = relative(join(root, 'packages'), target).split(sep)[0];
        if (!target.startsWith(pkgDir + sep) && target.startsWith(join(root, 'packages') + sep) && other !== folder)
          problems.push(`${rel}: imports ${spec} from the folder of packages/${other}: import the package by name`);
        continue;
      }
      const name = /^(@healthgpt\/[^/]+)/.exec(spec)?.[1];
      if (!name || name === pkg.name) continue;
      if (shipped && !deps.has(name)) problems.push(`${rel}: shipped code imports ${name}, which is not in dependencies`);
      else if (!deps.has(name) && !devDeps.has(name)) problems.push(`${rel}: imports ${name}, which is in neither dependencies nor devDependencies`);
    }
  }
}

for (const p of problems) console.log(`✗ ${p}`);
if (problems.length) {
  console.error(`${problems.length} layout problem(s)`);
  process.exit(1);
}
console.log('✓ package layout: snake_case names, one name for test support, declared @healthgpt imports, no imports across package folders');
