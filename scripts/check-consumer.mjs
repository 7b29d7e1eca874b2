#!/usr/bin/env node
// The packages as a user gets them. Packs every public package under packages/* (`npm pack`, plus
// this platform's prebuilt native package), installs the tarballs into temporary projects outside
// the workspace (no workspace links; third-party dependencies from npm's cache or the registry)
// and checks there:
//  1. each package whose code needs no TensorFlow.js (today vl-health) installs alone, with only
//     its own @healthgpt dependencies, and brings no @tensorflow/* package; its README example runs;
//  2. with every package installed: each entry point loads as ESM (import) and as CommonJS
//     (require); the shipped types compile in a strict consumer (node16 resolution, both formats);
//     an ESM tensor-core model adapted by the CommonJS h-lora build is recognised (brands, not
//     instanceof);
//  3. every installed package carries LICENSE and metadata, and every relative link or image of
//     its README resolves to a file inside the installed package;
//  4. each README's example, taken from the README text (the first ```ts block after the
//     "## Example" heading, else the first ```ts block), type-checks strictly and runs; a
//     command-line package (with `bin`) instead answers --help from the install.
// Needs `npm run build` first. Exit 1 on any failure. `--keep` leaves the temporary folder.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { publicPackages, root, tfjsPeers } from './package-rules.mjs';
import { readmeExample, readmeLinks } from './readme.mjs';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const keep = process.argv.includes('--keep');
const problems = [];
const started = Date.now();
const say = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}`);

function run(cmd, args, cwd, { timeout = 600_000, env = {} } = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false', ...env } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`.trim() };
}
function must(cmd, args, cwd) {
  const r = run(cmd, args, cwd);
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.out}`);
  return r.out;
}

const packages = publicPackages();
for (const { dir, pkgDir } of packages)
  if (!existsSync(join(pkgDir, 'dist'))) throw new Error(`packages/${dir}/dist is missing: run \`npm run build\` first`);
const byName = new Map(packages.map((p) => [p.pkg.name, p]));
const needsTfjs = (p) => Object.keys(tfjsPeers()).some((n) => p.pkg.peerDependencies?.[n] && !p.pkg.peerDependenciesMeta?.[n]?.optional);
/** The package and the @healthgpt packages it depends on, transitively. */
function closure(name, seen = new Set()) {
  if (seen.has(name) || !byName.has(name)) return seen;
  seen.add(name);
  for (const dep of Object.keys(byName.get(name).pkg.dependencies ?? {})) closure(dep, seen);
  return seen;
}

const work = mkdtempSync(join(tmpdir(), 'healthgpt-consumer-'));
try {
  // --- pack (scripts off: the platform package's prepack would rebuild the staged addon) ---
  const packs = join(work, 'packs');
  mkdirSync(packs);
  const tarball = new Map();
  const platformDir = join(root, 'packages', 'tensor-core', 'npm', `${process.platform}-${process.arch}`);
  const toPack = [...packages.map((p) => p.pkgDir), ...(existsSync(join(platformDir, 'tensor_core_native.node')) ? [platformDir] : [])];
  for (const entry of JSON.parse(must('npm', ['pack', ...toPack, '--pack-destination', packs, '--ignore-scripts', '--json'], root)))
    tarball.set(entry.name, join(packs, entry.filename));
  say(`packed ${tarball.size} tarballs`);
  const platformTarballs = [...tarball].filter(([n]) => !byName.has(n)).map(([, t]) => t);

  const newProject = (name) => {
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2));
    return dir;
  };
  const install = (dir, specs) => must('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', ...specs], dir);

  // --- 1. tfjs-free packages, each alone ---
  for (const p of packages.filter((q) => !needsTfjs(q) && q.pkg.name !== '@healthgpt/tensor-core')) {
    const dir = newProject(`alone-${p.dir}`);
    install(dir, [...closure(p.pkg.name)].map((n) => tarball.get(n)));
    const tf = join(dir, 'node_modules', '@tensorflow');
    if (existsSync(tf)) problems.push(`${p.pkg.name} alone installed TensorFlow.js (${readdirSync(tf).join(', ')})`);
    say(`${p.pkg.name} installed alone: ${existsSync(tf) ? 'WITH' : 'without'} TensorFlow.js`);
    await runExample(p, dir, 'alone');
  }

  // --- 2. everything ---
  const app = newProject('app');
  const peers = Object.keys(tfjsPeers()).map((n) => `${n}@${require(`${n}/package.json`).version}`);
  install(app, [...packages.map((p) => tarball.get(p.pkg.name)), ...platformTarballs, ...peers, '@types/node@20']);
  say(`installed ${packages.length} packages with ${peers.join(', ')}`);
  const entries = packages.flatMap(({ pkg }) => Object.keys(pkg.exports ?? { '.': 1 }).filter((k) => k !== './package.json').map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`)));
  // Entry points that load vitest (a test helper such as h-lora/testing) run under vitest only: load their types, not their code.
  const runnable = entries.filter((e) => !/\/testing$/.test(e));
  writeFileSync(join(app, 'load.mjs'), `const out = {};\nfor (const e of ${JSON.stringify(runnable)}) out[e] = Object.keys(await import(e)).length;\nconsole.log(JSON.stringify(out));\n`);
  writeFileSync(join(app, 'load.cjs'), `const out = {};\nfor (const e of ${JSON.stringify(runnable)}) out[e] = Object.keys(require(e)).length;\nconsole.log(JSON.stringify(out));\n`);
  for (const file of ['load.mjs', 'load.cjs']) {
    const r = run(process.execPath, [file], app);
    const counts = r.ok ? JSON.parse(r.out.split('\n').pop()) : {};
    for (const e of runnable) if (!(counts[e] > 0)) problems.push(`${e} does not load as ${file.endsWith('cjs') ? 'CommonJS' : 'ESM'}${r.ok ? ' (no exports)' : `:\n${r.out}`}`);
  }
  say(`${runnable.length} entry points loaded as ESM and as CommonJS`);

  // An ESM model adapted by the CommonJS h-lora: two builds of tensor-core's classes meet.
  if (byName.has('@healthgpt/h-lora')) {
    writeFileSync(
      join(app, 'mix.mjs'),
      `import { createRequire } from 'node:module';
import { Module, Linear, initBackend } from '@healthgpt/tensor-core';
await initBackend({ backend: 'cpu' });
const { injectAdapters } = createRequire(import.meta.url)('@healthgpt/h-lora');
class Net extends Module { constructor() { super(); this.registerModule('q_proj', new Linear(4, 4)); } }
const net = new Net();
injectAdapters(net, { targets: ['q_proj'], kind: 'lora', config: { r: 2 }, name: 'a' });
console.log(net.namedParameters().filter(([n]) => n.includes('lora_')).length);
`,
    );
    const r = run(process.execPath, ['mix.mjs'], app);
    if (!r.ok || r.out.split('\n').pop() !== '2') problems.push(`an ESM tensor-core model adapted by the CommonJS h-lora build: expected 2 LoRA parameters, got:\n${r.out}`);
    else say('an ESM model adapted by the CommonJS h-lora: recognised');
  }

  // --- 3. what each installed package carries ---
  for (const { pkg } of packages) {
    const dir = join(app, 'node_modules', pkg.name);
    const got = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!existsSync(join(dir, 'LICENSE'))) problems.push(`${pkg.name}'s tarball has no LICENSE`);
    for (const field of ['repository', 'homepage', 'bugs', 'keywords', 'engines']) if (!got[field]) problems.push(`${pkg.name}'s tarball has no ${field}`);
    for (const link of readmeLinks(readFileSync(join(dir, 'README.md'), 'utf8')))
      if (!existsSync(resolve(dir, link.split('#')[0]))) problems.push(`${pkg.name}'s README links to ${link}, which is not in the tarball`);
  }
  say('LICENSE, metadata and README links checked in every tarball');

  // --- 4. strict types (every entry point, ESM and CommonJS) and the README examples ---
  const names = entries.map((_, i) => `p${i}`);
  writeFileSync(join(app, 'index.mts'), `${entries.map((n, i) => `import * as ${names[i]} from '${n}';`).join('\n')}\nexport const all = [${names}];\n`);
  writeFileSync(join(app, 'index.cts'), `${entries.map((n, i) => `import ${names[i]} = require('${n}');`).join('\n')}\nexport const all = [${names}];\n`);
  const examples = [];
  for (const p of packages) {
    const code = readmeExample(readFileSync(join(p.pkgDir, 'README.md'), 'utf8'));
    if (code) examples.push({ p, file: `example-${p.dir}.mts`, code });
    else if (!p.pkg.bin) problems.push(`${p.pkg.name}'s README has no \`\`\`ts example`);
  }
  for (const e of examples) writeFileSync(join(app, e.file), `${e.code}\nexport {};\n`);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
      files: ['index.mts', 'index.cts', ...examples.map((e) => e.file)],
    }),
  );
  const tsc = run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  if (!tsc.ok) problems.push(`a strict consumer does not compile (the entry points, or a README example):\n${tsc.out}`);
  say(`strict consumer type-checked (${entries.length} entry points, ${examples.length} README examples)`);
  // A command-line package: each of its commands answers --help from the install.
  for (const p of packages.filter((q) => q.pkg.bin))
    for (const bin of Object.keys(typeof p.pkg.bin === 'string' ? { [p.pkg.name.split('/').pop()]: 1 } : p.pkg.bin))
      for (const flag of ['--help']) {
        const r = run(join(app, 'node_modules', '.bin', bin), [flag], app, { timeout: 120_000 });
        if (!r.ok || !r.out) problems.push(`${bin} ${flag} (from ${p.pkg.name}) fails:\n${r.out}`);
        else say(`${bin} ${flag}: ok`);
      }
  // The examples, two at a time (each is one Node process; the machine has two cores).
  const queue = [...examples];
  await Promise.all([0, 1].map(async () => {
    for (let e = queue.shift(); e; e = queue.shift()) await runExample(e.p, app, 'with every package');
  }));
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

/** Runs package `p`'s README example in a fresh folder of project `dir`. */
async function runExample(p, dir, label) {
  const code = readmeExample(readFileSync(join(p.pkgDir, 'README.md'), 'utf8'));
  if (!code) return;
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false } }).outputText;
  const cwd = join(dir, `run-${p.dir}`);
  mkdirSync(cwd, { recursive: true });
  // The script sits in the project (so it resolves the installed packages); it runs in its own folder.
  const file = join(dir, `run-${p.dir}.mjs`);
  writeFileSync(file, js);
  const r = await new Promise((done) => {
    const child = spawn(process.execPath, [file], { cwd, timeout: 900_000 }); // a hang guard: the slowest (a whole pipeline) takes minutes on a busy machine
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code, signal) => done({ ok: code === 0, out: `${out}${signal ? `\n(killed: ${signal})` : ''}` }));
  });
  if (!r.ok) problems.push(`${p.pkg.name}'s README example fails (${label}):\n${r.out.split('\n').slice(-25).join('\n')}`);
  say(`${p.pkg.name} README example (${label}): ${r.ok ? 'ran' : 'FAILED'}`);
}

for (const p of problems) console.error(`✗ ${p}`);
if (problems.length) {
  console.error(`${problems.length} consumer check(s) failed`);
  process.exit(1);
}
console.log(`✓ the packed packages install, load (ESM and CommonJS), type-check and run their README examples (${((Date.now() - started) / 1000).toFixed(0)} s)`);

