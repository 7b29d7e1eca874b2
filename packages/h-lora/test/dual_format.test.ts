/**
 * ESM and CommonJS builds mixed in one program: a user who `require`s tensor-core (its CommonJS
 * build) and `import`s h-lora (whose ESM build imports tensor-core's ESM build) has two `Module`
 * and `Linear` classes. h-lora must still find and wrap the user's Linear layers (brands, not
 * `instanceof`). Both packages are built with their own tsup configs (JavaScript only) into a
 * scratch node_modules, and a child process loads them side by side. The ./testing entry loads in
 * both formats too.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let scratch = '';

/** Build package `dir` with its tsup config, without declarations, into `<scratch>/node_modules/<name>/dist`. */
function buildInto(dir: string): void {
  const pkgDir = join(ROOT, 'packages', dir);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const target = join(scratch, 'node_modules', pkg.name);
  mkdirSync(target, { recursive: true });
  cpSync(join(pkgDir, 'package.json'), join(target, 'package.json'));
  const script = `import { build } from 'tsup'; import config from './tsup.config.ts'; await build({ ...config, dts: false, sourcemap: false, silent: true, outDir: ${JSON.stringify(join(target, 'dist'))} });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: pkgDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${pkg.name} failed:\n${r.stdout}\n${r.stderr}`);
}

/** Run `code` as an ES module in the scratch project; it prints one JSON line. */
function run(code: string): Record<string, unknown> {
  const file = join(scratch, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, [file], { cwd: scratch, encoding: 'utf8', env: { ...process.env, HEALTHGPT_NATIVE: '0' } });
  if (r.status !== 0) throw new Error(`probe failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** A model made of `core`'s classes, adapted by `hlora`, run, saved, loaded into a second model, merged and unloaded. */
const PROBE = (coreImport: string, hloraImport: string) => `
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const core = ${coreImport};
const hlora = ${hloraImport};
const esmCore = await import('@healthgpt/tensor-core');
const cjsCore = require('@healthgpt/tensor-core');
await core.initBackend({ backend: 'cpu' });
class Mlp extends core.Module {
  constructor(seed) {
    super();
    const gen = new core.Generator(seed);
    this.registerModule('up', new core.Linear(4, 8, { gen }));
    this.registerModule('down', new core.Linear(8, 4, { gen }));
  }
  forward(x) {
    return core.tf.tidy(() => this.child('down').forward(core.tf.relu(this.child('up').forward(x))));
  }
}
const model = new Mlp(1).eval();
// The user's Linear is not an instance of the Linear class h-lora's copy of tensor-core has.
const userClassIsForeign = !(model.child('up') instanceof (core === cjsCore ? esmCore : cjsCore).Linear);
const paths = hlora.injectAdapters(model, { targets: ['up', 'down'], kind: 'dora', config: { r: 2, loraAlpha: 4 } });
for (const [, l] of hlora.adaptedLayers(model)) for (const [, v] of l.adapterState('default')) v.assign(core.tf.randomNormal(v.shape, 0, 0.5, 'float32', 3));
const x = core.tf.randomNormal([3, 4], 0, 1, 'float32', 7);
const y = Array.from(model.forward(x).dataSync());
const dir = mkdtempSync(join(tmpdir(), 'h-lora-dual-'));
await hlora.saveAdapter(model, dir, 'default');
const other = new Mlp(1).eval();
const loaded = await hlora.loadAdapter(other, dir);
const y2 = Array.from(other.forward(x).dataSync());
hlora.mergeAndUnload(other);
const y3 = Array.from(other.forward(x).dataSync());
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  twoCopies: esmCore.Module !== cjsCore.Module,
  userClassIsForeign,
  paths,
  injected: loaded.injected,
  same: y.every((v, i) => v === y2[i]),
  mergedClose: y.every((v, i) => Math.abs(v - y3[i]) < 1e-5),
  unwrapped: core.isLinear(other.child('up')) && !hlora.isAdaptedLinear(other.child('up')),
  bothSeeBrands: esmCore.isLinear(new cjsCore.Linear(2, 2)) && cjsCore.isLinear(new esmCore.Linear(2, 2)) && esmCore.isModule(new cjsCore.Module()),
}));
`;

describe('ESM and CommonJS builds side by side', () => {
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'h-lora-dual-'));
    mkdirSync(join(scratch, 'node_modules'), { recursive: true });
    for (const dep of ['@tensorflow', 'zod', 'fast-check', 'vitest']) symlinkSync(join(ROOT, 'node_modules', dep), join(scratch, 'node_modules', dep), 'dir');
    buildInto('tensor-core');
    buildInto('h-lora');
  }, 240_000);
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const expected = { twoCopies: true, userClassIsForeign: true, paths: ['up', 'down'], injected: ['up', 'down'], same: true, mergedClose: true, unwrapped: true, bothSeeBrands: true };

  it('a model built from the CommonJS tensor-core is adapted by the ESM h-lora', () => {
    expect(run(PROBE(`require('@healthgpt/tensor-core')`, `await import('@healthgpt/h-lora')`))).toEqual(expected);
  });

  it('a model built from the ESM tensor-core is adapted by the CommonJS h-lora', () => {
    expect(run(PROBE(`await import('@healthgpt/tensor-core')`, `require('@healthgpt/h-lora')`))).toEqual(expected);
  });

  it('the ./testing entry loads in both formats: its checks run; checkAdapterKind explains itself under require', () => {
    const out = run(`
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const hlora = await import('@healthgpt/h-lora');
await (await import('@healthgpt/tensor-core')).initBackend({ backend: 'cpu' });
const esm = await import('@healthgpt/h-lora/testing');
const cjs = require('@healthgpt/h-lora/testing');
const ran = [];
for (const t of [esm, cjs]) {
  const checks = t.adapterKindChecks(hlora.loraKind, { numRuns: 1 });
  for (const c of checks) await c.run();
  ran.push(checks.length);
}
let message = '';
try { cjs.checkAdapterKind(hlora.loraKind); } catch (e) { message = e.message; }
console.log(JSON.stringify({ ran, message }));
`);
    expect(out).toEqual({ ran: [10, 10], message: expect.stringMatching(/needs the ES module build: import '@healthgpt\/h-lora\/testing'/) });
  });

  it('kinds registered through one build are seen by the other', () => {
    const out = run(`
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const esm = await import('@healthgpt/h-lora');
const cjs = require('@healthgpt/h-lora');
cjs.registerAdapterKind({ ...cjs.loraKind, name: 'lora-from-cjs' });
console.log(JSON.stringify({ twoCopies: esm.injectAdapters !== cjs.injectAdapters, seen: esm.adapterKindNames().includes('lora-from-cjs') }));
`);
    expect(out).toEqual({ twoCopies: true, seen: true });
  });
});
