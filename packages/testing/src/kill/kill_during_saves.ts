import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Generator } from '@healthgpt/tensor-core';
import { repoRoot } from '../paths.js';
import type { KillSpec } from './spec.js';

export type { KillSpec } from './spec.js';

export interface KillDuringSavesOptions {
  /** What the child saves (its `dir`, layout, config field and tensors); `start` is managed here. */
  spec: Omit<KillSpec, 'start'>;
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
export async function killDuringSaves({ spec, kills, seed, maxDelayMs = 120, verify }: KillDuringSavesOptions): Promise<KillReport> {
  const work = mkdtempSync(join(tmpdir(), 'kill-'));
  const gen = new Generator(seed);
  const report: KillReport = { kills: 0, versions: [], midSave: 0 };
  try {
    const script = await bundleChild(work);
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
  }
}
