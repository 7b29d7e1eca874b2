#!/usr/bin/env node
// Checks that every publishable package builds into something npm would accept: publint on each
// package (exports, files, types), plus our own rules (exports limited to "." and "./package.json",
// files ["dist"], version set, no workspace: ranges). Private packages are skipped.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = new URL('..', import.meta.url).pathname;
let failed = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkgDir = join(root, 'packages', dir);
  const file = join(pkgDir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  if (pkg.private) continue;
  const problems = [];
  const keys = Object.keys(pkg.exports ?? {}).sort();
  if (JSON.stringify(keys) !== JSON.stringify(['.', './package.json'])) problems.push(`exports must be exactly "." and "./package.json", got ${JSON.stringify(keys)}`);
  if (JSON.stringify(pkg.files) !== JSON.stringify(['dist'])) problems.push(`files must be ["dist"], got ${JSON.stringify(pkg.files)}`);
  if (!/^\d+\.\d+\.\d+/.test(pkg.version ?? '')) problems.push(`version missing or invalid: ${pkg.version}`);
  for (const field of ['dependencies', 'peerDependencies'])
    for (const [name, range] of Object.entries(pkg[field] ?? {}))
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${name} uses a workspace: range`);
  for (const [name] of Object.entries(pkg.dependencies ?? {}))
    if (name.startsWith('@tensorflow/') && pkg.name !== '@healthgpt/tensor-core') problems.push(`only tensor-core may depend on ${name}`);
  if (!existsSync(join(pkgDir, 'dist'))) problems.push('dist/ is missing: run `npm run build` first');
  else {
    const { messages } = await publint({ pkgDir, level: 'warning', strict: true });
    for (const m of messages) problems.push(`publint ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
  }
  if (!existsSync(join(pkgDir, 'README.md'))) problems.push('README.md is missing');
  console.log(`${problems.length ? '✗' : '✓'} ${pkg.name}@${pkg.version}`);
  for (const p of problems) console.log(`    ${p}`);
  failed += problems.length ? 1 : 0;
}
if (failed) {
  console.error(`${failed} package(s) are not publishable`);
  process.exit(1);
}
