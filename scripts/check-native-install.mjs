#!/usr/bin/env node
// Installs @healthgpt/tensor-core as a user would — its tarball and this platform's prebuilt
// package, with TensorFlow.js, install scripts off (npm 11 runs no dependency scripts by
// default) — into a temporary project, and checks that initBackend() there takes the native BLAS
// path from the prebuilt package. Needs `npm run build` first (tensor-core's dist). Exit 1 on failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const core = join(root, 'packages', 'tensor-core');
const musl = process.platform === 'linux' && !process.report?.getReport().header?.glibcVersionRuntime;
const key = `${musl ? 'linuxmusl' : process.platform}-${process.arch}`;
const platformDir = join(core, 'npm', key);

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

if (!existsSync(platformDir)) {
  console.log(`check-native-install: no prebuilt package for ${key} in this repository; nothing to check`);
  process.exit(0);
}
if (!existsSync(join(core, 'dist', 'index.js'))) {
  console.error('check-native-install: packages/tensor-core/dist is missing: run `npm run build` first');
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'tensor-core-install-'));
try {
  const packs = join(work, 'packs');
  mkdirSync(packs);
  // The platform package's prepack builds the addon (strictly), as a release would.
  const tarballs = [core, platformDir].map((dir) => join(packs, run('npm', ['pack', dir, '--pack-destination', packs], root).split('\n').pop()));
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'native-install-check', version: '1.0.0', private: true, type: 'module' }));
  const peers = Object.entries(JSON.parse(readFileSync(join(core, 'package.json'), 'utf8')).peerDependencies).map(([n, v]) => `${n}@${v}`);
  run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs, ...peers], app);
  writeFileSync(
    join(app, 'check.mjs'),
    `import { initBackend, tf } from '@healthgpt/tensor-core';
const info = await initBackend();
const y = tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2])).dataSync();
console.log(JSON.stringify({ engine: info.engine, matmul: info.matmul, addon: info.native.addon, reason: info.native.reason, hint: info.hint, y: Array.from(y) }));`,
  );
  const out = JSON.parse(run(process.execPath, ['check.mjs'], app).split('\n').pop());
  console.log(`check-native-install: ${out.engine}; ${out.matmul.label}; addon from ${out.addon?.source ?? 'nowhere'} (${out.addon?.path ?? out.reason})`);
  const problems = [];
  if (out.addon?.source !== 'package') problems.push(`the addon did not come from the prebuilt package (${out.reason ?? out.addon?.source})`);
  if (out.matmul.kind !== 'native-blas') problems.push(`the matmul path is ${out.matmul.label}, not the native BLAS (${out.reason}; hint: ${out.hint})`);
  if (out.y.join() !== '4,5,10,11') problems.push(`a 2x3·3x2 product gave ${out.y}`);
  for (const p of problems) console.error(`  ✗ ${p}`);
  process.exitCode = problems.length ? 1 : 0;
} finally {
  rmSync(work, { recursive: true, force: true });
}
