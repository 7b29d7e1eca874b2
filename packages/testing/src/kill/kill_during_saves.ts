import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Generator } from '@healthgpt/tensor-core';
import { repoRoot } from '../paths.js';
import type { KillSpec } from './spec.js';

export type { KillSpec } from './spec.js';

/** What a child of one's own (`child`) is given: the folder it saves, and whatever else it reads. */
export interface CustomKillSpec {
  dir: string;
  [key: string]: unknown;
}

export interface KillDuringSavesOptions {
  /**
   * What the child saves (its `dir`, layout, config field and tensors; with `child`, whatever that
   * child reads, `dir` included); `start` is managed here.
   */
  spec: Omit<KillSpec, 'start'> | CustomKillSpec;
  /**
   * A saving child of one's own instead of the built-in one: a TypeScript file, bundled with the
   * `@healthgpt/*` sources (other packages come from the repository's node_modules). It is run with
   * the path of the spec JSON (`start` set) as its argument, prints `started`, then
   * `committed <v>` after each whole save of version v = start, start + 1, … until killed.
   */
  child?: string;
  /** How many times a saving child is killed (SIGKILL). */
  kills: number;
  /** Seed of the kill moments. */
  seed: number;
  /** The longest wait (ms) after the child started before it is killed. */
  maxDelayMs?: number;
  /**
   * Load the folder after a kill and return the version it holds (throw when it is not one whole
   * version). Called with the range it must fall in.
   */
  verify: (range: { atLeast: number; atMost: number }) => Promise<number>;
}

export interface KillReport {
  kills: number;
  /** Versions loaded after each kill. */
  versions: number[];
  /** Kills after which the folder held a pending journal or staged temporaries (mid-save). */
  midSave: number;
}

/**
 * Bundle a child of one's own into a fresh folder under the repository's node_modules/.cache (so
 * its external packages resolve): every `@healthgpt/*` package (and subpath export) from its sources.
 */
async function bundleOwnChild(entry: string): Promise<{ script: string; dir: string }> {
  const root = repoRoot();
  const alias: Record<string, string> = {};
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', pkg, 'src');
    if (!existsSync(join(src, 'index.ts'))) continue;
    const json = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
    alias[json.name] = join(src, 'index.ts');
    for (const sub of Object.keys(json.exports ?? {}).filter((k) => k !== '.' && k !== './package.json')) {
      const file = [join(src, sub.slice(2), 'index.ts'), join(src, `${sub.slice(2)}.ts`)].find(existsSync);
      if (file) alias[`${json.name}/${sub.slice(2)}`] = file;
    }
  }
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'kill-child-'));
  const script = join(dir, 'child.mjs');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script, logLevel: 'error', alias, packages: 'external' });
  return { script, dir };
}

/** Bundle the child into `dir` (plain JavaScript: a fast start), tensor-core's tfjs-free part from source, zod left out. */
async function bundleChild(dir: string): Promise<string> {
  const root = repoRoot();
  const base = join(root, 'packages/tensor-core/src/base/index.ts');
  const outfile = join(dir, 'child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    alias: { '@healthgpt/tensor-core/base': base, '@healthgpt/tensor-core': base, zod: fileURLToPath(new URL('./zod_unused.ts', import.meta.url)) },
  });
  return outfile;
}

/** Files a save left in flight, below `dir`: the journal or staged temporaries. */
function inFlight(dir: string): boolean {
  const walk = (d: string): boolean =>
    readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name === '.healthgpt-commit.json' || e.name.endsWith('.hgtmp')));
  return walk(dir);
}

/**
 * Prove whole-folder saves: a child process saves versions of a folder in a loop and is killed
 * with SIGKILL at `kills` random moments; after each kill the folder is loaded (`verify`) and must
 * hold one whole version, at least the last one the child reported committed and at most the one
 * it was writing. The next child continues from there (finishing any interrupted commit first).
 */
export async function killDuringSaves({ spec, child: own, kills, seed, maxDelayMs = 120, verify }: KillDuringSavesOptions): Promise<KillReport> {
  const work = mkdtempSync(join(tmpdir(), 'kill-'));
  const gen = new Generator(seed);
  const report: KillReport = { kills: 0, versions: [], midSave: 0 };
  let ownDir: string | null = null;
  try {
    let script: string;
    if (own) ({ script, dir: ownDir } = await bundleOwnChild(own));
    else script = await bundleChild(work);
    let known = 0; // the version the folder holds (0: none yet)
    for (let k = 0; k < kills; k++) {
      const specFile = join(work, `spec-${k}.json`);
      writeFileSync(specFile, JSON.stringify({ ...spec, start: known + 1 }));
      const child = spawn(process.execPath, [script, specFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (out.includes('started')) {
            clearInterval(poll);
            resolve();
          } else if (child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`the saving child exited early (${child.exitCode}): ${err}`));
          }
        }, 2);
      });
      // At least one commit before the first kill, so there is a version to load.
      while (known === 0 && !out.includes('committed')) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, gen.between(0, maxDelayMs)));
      child.kill('SIGKILL');
      const code = await exited;
      if (code !== null && code !== 0) throw new Error(`the saving child failed (${code}): ${err}`);
      const committed = [...out.matchAll(/committed (\d+)/g)].map((m) => Number(m[1]));
      const last = committed.length ? committed[committed.length - 1] : known;
      if (inFlight(spec.dir)) report.midSave++;
      known = await verify({ atLeast: last, atMost: last + 1 });
      report.versions.push(known);
      report.kills++;
    }
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  }
}
