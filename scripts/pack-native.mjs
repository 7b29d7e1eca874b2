#!/usr/bin/env node
// Packs this platform's prebuilt native package (packages/tensor-core/npm/<platform>) into
// .tmp/pack; its prepack script builds the addon first, and fails off its platform. Prints the
// tarball's path. `npm run pack:native`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const musl = process.platform === 'linux' && !process.report?.getReport().header?.glibcVersionRuntime;
const key = `${musl ? 'linuxmusl' : process.platform}-${process.arch}`;
const dir = join(root, 'packages', 'tensor-core', 'npm', key);
if (!existsSync(dir)) {
  console.error(`pack-native: there is no prebuilt package for ${key}; build the addon with: node packages/tensor-core/native/build.mjs`);
  process.exit(1);
}
const out = join(root, '.tmp', 'pack');
mkdirSync(out, { recursive: true });
const r = spawnSync('npm', ['pack', dir, '--pack-destination', out], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(join(out, r.stdout.trim().split('\n').pop()));
