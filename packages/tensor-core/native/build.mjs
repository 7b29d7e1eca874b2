// Builds the optional native matmul addon with node-gyp. Never fails the caller: when the addon
// cannot be built (no compiler, no node-gyp, no headers) it says why and exits 0, and tensor-core
// keeps using its wasm kernels. Usage: node packages/tensor-core/native/build.mjs
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const dir = dirname(fileURLToPath(import.meta.url));
function nodeGyp() {
  const req = createRequire(import.meta.url);
  for (const spec of ['node-gyp/bin/node-gyp.js']) {
    try {
      return req.resolve(spec);
    } catch {}
  }
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(bundled) ? bundled : null;
}
const gyp = nodeGyp();
if (!gyp) {
  console.warn('tensor-core native: node-gyp not found; the wasm kernels stay in use');
  process.exit(0);
}
const args = [gyp, 'rebuild', '--directory', dir];
// Distribution Node packages ship headers under <prefix>/include/node: use them offline.
const prefix = join(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, { stdio: process.env.HEALTHGPT_NATIVE_VERBOSE ? 'inherit' : 'pipe', encoding: 'utf8' });
if (r.status !== 0) {
  console.warn(`tensor-core native: build failed (status ${r.status}); the wasm kernels stay in use\n${(r.stderr ?? '').slice(-2000)}`);
  process.exit(0);
}
console.log(`tensor-core native: built ${join(dir, 'build', 'Release', 'tensor_core_native.node')}`);
