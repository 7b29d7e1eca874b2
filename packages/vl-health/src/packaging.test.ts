import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build, type Options } from 'tsup';
import { requireDataDir } from '@healthgpt/testing';
import config from '../tsup.config.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const repo = resolve(pkgDir, '../..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const FORBIDDEN = /^(@tensorflow\/|@healthgpt\/tensor-core$)/;

/** The module specifiers a JS / TS file imports or requires (static, dynamic, type-only too). */
function specifiers(code: string): string[] {
  const out: string[] = [];
  for (const re of [/\b(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm])
    for (const m of code.matchAll(re)) out.push(m[1]);
  return out;
}
const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec);

/**
 * A tsup config of this package as `npm run build` sees it from the package folder: relative paths
 * made absolute, and the dependencies external as tsup makes them from the package.json beside it
 * (tests run from the repository root, whose package.json has none).
 */
function absolute(c: Options): Options {
  const abs = (p: string) => join(pkgDir, p);
  const entry = Array.isArray(c.entry) ? c.entry.map(abs) : Object.fromEntries(Object.entries(c.entry ?? {}).map(([k, v]) => [k, abs(v as string)]));
  const external = Object.keys(pkg.dependencies).map((d) => new RegExp(`^${d.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/|$)`));
  return { ...c, entry, external, tsconfig: abs(c.tsconfig ?? 'tsconfig.json'), publicDir: typeof c.publicDir === 'string' ? abs(c.publicDir) : c.publicDir };
}
const configs = ((Array.isArray(config) ? config : [config]) as Options[]).map(absolute);

function walk(dir: string, keep: (f: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), keep) : keep(e.name) ? [join(dir, e.name)] : []));
}

describe('vl-health loads no TensorFlow.js', () => {
  it('the sources import tensor-core only through its tfjs-free ./base entry, and only declared dependencies', () => {
    const files = walk(join(pkgDir, 'src'), (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.test_util.ts')).filter((f) => !f.includes(`${join('src', 'test_util')}`));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files)
      for (const spec of specifiers(readFileSync(f, 'utf8'))) {
        expect(spec, relative(pkgDir, f)).not.toMatch(FORBIDDEN);
        if (spec.startsWith('.') || isBuiltin(spec)) continue;
        expect(Object.keys(pkg.dependencies), `${relative(pkgDir, f)} imports ${spec}`).toContain(packageOf(spec));
      }
  });

  it('tensor-core/base reaches no TensorFlow.js module through its own imports', () => {
    const corePkg = JSON.parse(readFileSync(join(repo, 'packages/tensor-core/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        expect(spec, relative(repo, file)).not.toMatch(FORBIDDEN);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        // Besides builtins, only tensor-core's own declared dependencies (e.g. zod for config schemas), never TensorFlow.js.
        else expect(isBuiltin(spec) || Object.keys(corePkg.dependencies ?? {}).includes(packageOf(spec)), `${relative(repo, file)} imports ${spec}`).toBe(true);
      }
    };
    visit(join(repo, 'packages/tensor-core/src/base/index.ts'));
    expect([...seen].some((f) => f.endsWith('tf.ts') || f.endsWith(join('tensor-core', 'src', 'index.ts')))).toBe(false);
  });

  it('at run time: using the package leaves no TensorFlow.js engine behind (a control import of tensor-core does)', () => {
    const dir = mkdtempSync(join(pkgDir, '.tmp-runtime-'));
    try {
      const script = join(dir, 'probe.mts');
      writeFileSync(
        script,
        `const vlh = await import(${JSON.stringify(join(pkgDir, 'src/index.ts'))});
         const [img] = vlh.phantomImages(1, { size: 16 });
         await vlh.resizeImage(img, 8, 8);
         await vlh.decodeImage(await vlh.encodePng(vlh.grayToRaw({ width: 2, height: 2, data: new Float32Array(4) })));
         const before = '_tfengine' in globalThis;
         if (process.argv[2] === 'control') await import('@healthgpt/tensor-core');
         console.log(JSON.stringify({ before, after: '_tfengine' in globalThis }));`,
      );
      const run = (arg: string) => {
        const r = spawnSync(process.execPath, ['--import', 'tsx', script, arg], { cwd: repo, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout.trim().split('\n').pop()!);
      };
      expect(run('plain')).toEqual({ before: false, after: false });
      expect(run('control')).toEqual({ before: false, after: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the build', () => {
  it('ships the library as ESM + CJS and no bin, with every dependency external and no TensorFlow.js', async () => {
    const outDir = mkdtempSync(join(pkgDir, '.tmp-build-'));
    try {
      // sequentially, without .d.ts (checked by the publish check): the same entries, formats and externals
      for (const c of configs) await build({ ...c, outDir, dts: false, silent: true, config: false });
      const files = readdirSync(outDir).sort();
      expect(files).toEqual(expect.arrayContaining(['contact-sheet.png', 'index.cjs', 'index.js']));
      expect(files.filter((f) => f.startsWith('cli.'))).toEqual([]);
      expect(pkg).not.toHaveProperty('bin');
      for (const f of files.filter((x) => /\.(c?js)$/.test(x))) {
        const code = readFileSync(join(outDir, f), 'utf8');
        expect(code, f).not.toMatch(/@tensorflow\//);
        for (const spec of specifiers(code)) {
          expect(spec, f).not.toMatch(FORBIDDEN);
          if (spec.startsWith('.') || isBuiltin(spec)) continue;
          expect([...Object.keys(pkg.dependencies), '@healthgpt/tensor-core/base'], `${f} imports ${spec}`).toContain(spec === '@healthgpt/tensor-core/base' ? spec : packageOf(spec));
        }
      }
      // nifti-reader-js is ESM only: the CommonJS build must reach it through import(), not require()
      const cjs = readFileSync(join(outDir, 'index.cjs'), 'utf8');
      expect(cjs).toMatch(/import\(\s*["']nifti-reader-js["']\s*\)/);
      expect(cjs).not.toMatch(/require\(\s*["']nifti-reader-js["']\s*\)/);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('the CommonJS build decodes a NIfTI file in a plain require() consumer, loading no TensorFlow.js', async () => {
    // the library config as CommonJS, with tensor-core/base bundled in (so no other package needs
    // building first); nifti-reader-js and the rest stay external, as in the real build
    const outDir = mkdtempSync(join(pkgDir, '.tmp-cjs-'));
    try {
      await build({ ...configs[0], outDir, format: ['cjs'], dts: false, silent: true, config: false, publicDir: false, noExternal: ['@healthgpt/tensor-core/base'] });
      const sample = join(requireDataDir(), 'io-samples', 'anatomical.nii');
      const probe = `const vlh = require(${JSON.stringify(join(outDir, 'index.cjs'))});
        const bytes = require('node:fs').readFileSync(${JSON.stringify(sample)});
        vlh.decodeImage(bytes).then((img) => console.log(JSON.stringify({ size: [img.width, img.height], tf: '_tfengine' in globalThis })));`;
      const r = spawnSync(process.execPath, ['-e', probe], { cwd: repo, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ size: [33, 41], tf: false });
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
