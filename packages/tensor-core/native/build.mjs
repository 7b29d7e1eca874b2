#!/usr/bin/env node
// Builds tensor-core's native addon from the sources shipped beside this file, with the node-gyp
// that comes with npm. The one-line build on a platform without a prebuilt package:
//
//     node node_modules/@healthgpt/tensor-core/native/build.mjs
//
// The result lands in native/build/Release/, where tensor-core looks first. In the HealthGPT.ts
// repository it is also copied into the platform package folder (npm/<platform>/) that
// `npm pack` turns into @healthgpt/tensor-core-<platform>.
//
// Flags: --strict (exit 1 when the build fails; default: say why and exit 0, and tensor-core keeps
// its wasm kernels), --if-stale (skip when the built addon is newer than every source),
// --target <platform-arch> (build only on that platform).
// HEALTHGPT_NATIVE_VERBOSE=1 shows node-gyp's output.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const dir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const strict = args.includes('--strict');
const target = args.includes('--target') ? args[args.indexOf('--target') + 1] : null;
const built = join(dir, 'build', 'Release', 'tensor_core_native.node');

/** The platform key of the prebuilt packages: linux-x64, linuxmusl-x64, darwin-arm64, win32-x64, … */
function platformKey() {
  const musl = process.platform === 'linux' && !process.report?.getReport().header?.glibcVersionRuntime;
  return `${musl ? 'linuxmusl' : process.platform}-${process.arch}`;
}

function finish(ok, message) {
  (ok ? console.log : console.warn)(`tensor-core native: ${message}`);
  process.exit(ok || !strict ? 0 : 1);
}

/** npm's own node-gyp: npm names it in npm_config_node_gyp when it runs a script; else beside npm. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

function newestSource() {
  const files = ['binding.gyp', 'build.mjs', ...readdirSync(join(dir, 'src')).map((f) => join('src', f))];
  return Math.max(...files.map((f) => statSync(join(dir, f)).mtimeMs));
}

/** Copy the addon into this repository's platform package folder, when there is one. */
function stage() {
  const pkgDir = join(dir, '..', 'npm', platformKey());
  if (!existsSync(join(pkgDir, 'package.json'))) return '';
  copyFileSync(built, join(pkgDir, 'tensor_core_native.node'));
  return ` and staged it in ${join(pkgDir, 'tensor_core_native.node')}`;
}

// A platform package is built on its own platform: elsewhere a plain build skips it, a strict
// one (the package's prepack) fails rather than pack a package without its addon.
if (target && target !== platformKey()) finish(false, `${target} is built on ${target}, this is ${platformKey()}`);
if (args.includes('--if-stale') && existsSync(built) && statSync(built).mtimeMs >= newestSource()) finish(true, `up to date (${built})${stage()}`);
const gyp = nodeGyp();
if (!gyp) finish(false, 'node-gyp not found (it comes with npm); the wasm kernels stay in use');
const gypArgs = [gyp, 'rebuild', '--directory', dir];
// Node distributions ship their headers under <prefix>/include/node: use them, no download needed.
const prefix = dirname(dirname(process.execPath));
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) gypArgs.push(`--nodedir=${prefix}`);
const verbose = Boolean(process.env.HEALTHGPT_NATIVE_VERBOSE);
const r = spawnSync(process.execPath, gypArgs, { stdio: verbose ? 'inherit' : 'pipe', encoding: 'utf8' });
if (r.status !== 0) {
  const tail = verbose ? '' : `\n${((r.stderr ?? '') + (r.stdout ?? '')).trim().split('\n').slice(-15).join('\n')}`;
  finish(false, `build failed (node-gyp exit ${r.status}); the wasm kernels stay in use. Rerun with HEALTHGPT_NATIVE_VERBOSE=1 for the whole log.${tail}`);
}
finish(true, `built ${built}${stage()}`);
