#!/usr/bin/env node
// Checks that every publishable package builds into something npm would accept: publint on each
// package (exports, files, types), our own rules (exports limited to "." and "./package.json",
// files ["dist"], version set, no workspace: ranges), and that the shipped .d.ts files compile in a
// strict consumer, both as ESM (import) and as CommonJS (require), and that the changesets name only
// published packages. Private packages are skipped.
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import semver from 'semver';
import { packageRuleProblems } from './package-rules.mjs';
import { changesetProblems } from './changeset-rules.mjs';

const root = new URL('..', import.meta.url).pathname;
let failed = 0;

/**
 * The prebuilt native packages beside a package (`npm/<platform>/`, not workspaces, so a machine
 * of another platform can still install the repository): named `<pkg>-<platform>`, at the
 * package's version, pinned exactly in its optionalDependencies, restricted to their platform,
 * shipping only the addon (built by their prepack script, never committed), and linked from the
 * root's optionalDependencies so `npm ci` here installs them.
 */
function platformPackageProblems(pkgDir, pkg) {
  const dir = join(pkgDir, 'npm');
  if (!existsSync(dir)) return [];
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const problems = [];
  for (const key of readdirSync(dir).sort()) {
    const p = JSON.parse(readFileSync(join(dir, key, 'package.json'), 'utf8'));
    const name = `${pkg.name}-${key}`;
    const [os, cpu] = [key.replace(/^linuxmusl/, 'linux').split('-')[0], key.split('-').slice(1).join('-')];
    if (p.name !== name) problems.push(`npm/${key}: name must be ${name}, got ${p.name}`);
    if (p.version !== pkg.version) problems.push(`npm/${key}: version ${p.version} differs from ${pkg.name}@${pkg.version}`);
    if (pkg.optionalDependencies?.[name] !== pkg.version) problems.push(`optionalDependencies must pin ${name} to exactly ${pkg.version}`);
    if (JSON.stringify(p.os) !== JSON.stringify([os]) || JSON.stringify(p.cpu) !== JSON.stringify([cpu])) problems.push(`npm/${key}: os/cpu must be ["${os}"]/["${cpu}"]`);
    if (JSON.stringify(p.files) !== JSON.stringify([p.main])) problems.push(`npm/${key}: files must be just the addon (${p.main})`);
    if (!/native\/build\.mjs --strict --target /.test(p.scripts?.prepack ?? '')) problems.push(`npm/${key}: the prepack script must build the addon (native/build.mjs --strict --target ${key})`);
    if (rootPkg.optionalDependencies?.[name] !== `file:${join('packages', pkgDir.split('/packages/').pop(), 'npm', key)}`) problems.push(`the root package.json must list ${name} in optionalDependencies as file:packages/…/npm/${key}`);
    if (!existsSync(join(dir, key, 'README.md'))) problems.push(`npm/${key}: README.md is missing`);
  }
  return problems;
}
/**
 * The README's install line: an `npm install` command naming the package, whose every versioned
 * third-party spec (e.g. `@tensorflow/tfjs@4.22.0`) satisfies the package's peer range for it.
 */
function installLineProblems(pkg, readme) {
  const lines = readme.split('\n').filter((l) => /^\s*npm (install|i) /.test(l) && l.split(/\s+/).includes(pkg.name));
  if (!lines.length) return [`README.md has no install line (\`npm install ${pkg.name}\`)`];
  const problems = [];
  const peers = { ...JSON.parse(readFileSync(join(root, 'packages', 'tensor-core', 'package.json'), 'utf8')).peerDependencies, ...pkg.peerDependencies };
  for (const spec of lines.flatMap((l) => l.trim().split(/\s+/).slice(2))) {
    const m = /^(@?[^@\s]+)@(.+)$/.exec(spec);
    if (m && peers[m[1]] && !semver.satisfies(m[2], peers[m[1]])) problems.push(`README install line asks for ${spec}, outside the peer range ${peers[m[1]]}`);
  }
  // A user reads the README beside the tarball: it may not send them to files of this workspace.
  for (const m of readme.matchAll(/REFERENCE\.md|\.\.\/shared\b/g)) problems.push(`README mentions ${m[0]}, which a user of the package does not have`);
  return problems;
}

/** A dependency is loaded from node_modules, never also bundled into dist (esbuild marks bundled files `// node_modules/…`). */
function bundledDependencyProblems(pkgDir, pkg) {
  const dist = join(pkgDir, 'dist');
  if (!existsSync(dist)) return [];
  const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies }));
  const bundled = new Set();
  for (const f of readdirSync(dist, { recursive: true }).map(String).filter((f) => /\.(c?js|mjs)$/.test(f)))
    for (const m of readFileSync(join(dist, f), 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) if (declared.has(m[1])) bundled.add(m[1]);
  return [...bundled].map((name) => `dist bundles ${name} although it is a dependency (keep it external)`);
}

for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkgDir = join(root, 'packages', dir);
  const file = join(pkgDir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  if (pkg.private) continue;
  const problems = [];
  const keys = Object.keys(pkg.exports ?? {}).sort();
  // "." and "./package.json", plus the documented subpaths: ./base (tfjs-free), ./internal (unstable), ./testing.
  const allowed = new Set(['.', './package.json', './base', './internal', './testing']);
  if (!keys.includes('.') || !keys.includes('./package.json') || keys.some((k) => !allowed.has(k)))
    problems.push(`exports must be "." and "./package.json" plus only ./base, ./internal or ./testing, got ${JSON.stringify(keys)}`);
  // A package with a native addon also ships the addon's sources (for the one-line build elsewhere).
  const nativeFiles = existsSync(join(pkgDir, 'native', 'binding.gyp')) ? ['native/binding.gyp', 'native/build.mjs', 'native/src'] : [];
  if (JSON.stringify(pkg.files) !== JSON.stringify(['dist', ...nativeFiles])) problems.push(`files must be ${JSON.stringify(['dist', ...nativeFiles])}, got ${JSON.stringify(pkg.files)}`);
  problems.push(...platformPackageProblems(pkgDir, pkg));
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
  problems.push(...bundledDependencyProblems(pkgDir, pkg));
  if (!existsSync(join(pkgDir, 'README.md'))) problems.push('README.md is missing');
  else problems.push(...installLineProblems(pkg, readFileSync(join(pkgDir, 'README.md'), 'utf8')));
  problems.push(...packageRuleProblems({ dir, pkgDir, pkg }));
  console.log(`${problems.length ? '✗' : '✓'} ${pkg.name}@${pkg.version}`);
  for (const p of problems) console.log(`    ${p}`);
  failed += problems.length ? 1 : 0;
}
// A strict consumer of every public package, through the packages' own exports and .d.ts.
// Every entry point: "." and each subpath export (./base, ./testing, …).
const published = readdirSync(join(root, 'packages'))
  .map((dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')))
  .filter((pkg) => !pkg.private)
  .flatMap((pkg) => Object.keys(pkg.exports ?? { '.': null }).filter((k) => k !== './package.json').map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`)));
const consumer = join(root, '.tmp', 'consumer');
rmSync(consumer, { recursive: true, force: true });
mkdirSync(consumer, { recursive: true });
const names = published.map((_, i) => `p${i}`);
writeFileSync(join(consumer, 'index.mts'), published.map((n, i) => `import * as ${names[i]} from '${n}';`).join('\n') + `\nexport const all = [${names}];\n`);
writeFileSync(join(consumer, 'index.cts'), published.map((n, i) => `import ${names[i]} = require('${n}');`).join('\n') + `\nexport const all = [${names}];\n`);
writeFileSync(
  join(consumer, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
    files: ['index.mts', 'index.cts'],
  }),
);
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(consumer, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
// TensorFlow.js's own declarations do not pass skipLibCheck: false; only our files count.
const ours = (tsc.stdout + tsc.stderr).split('\n').filter((l) => /^(packages|\.tmp)\//.test(l));
console.log(`${ours.length ? '✗' : '✓'} shipped types compile in a strict ESM and CommonJS consumer (${published.length} entry points)`);
for (const l of ours) console.log(`    ${l}`);
if (ours.length) failed++;

const changesets = changesetProblems(root);
console.log(`${changesets.length ? '✗' : '✓'} changesets name only published packages, with a bump and a summary`);
for (const p of changesets) console.log(`    ${p}`);
if (changesets.length) failed++;

if (failed) {
  console.error(`${failed} check(s) failed: the packages are not publishable`);
  process.exit(1);
}
