import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file that holds `nx.json`. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(resolve(dir, 'nx.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no nx.json above packages/testing)');
    dir = up;
  }
}

const isCI = () => process.env.CI === 'true' || process.env.CI === '1';

function folder(envVar: string, fallback: string): string | null {
  const dir = resolve(repoRoot(), process.env[envVar] ?? fallback);
  if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  if (isCI() || process.env[envVar]) throw new Error(`${envVar}: folder ${dir} does not exist (set ${envVar} or place it at ${fallback} beside the repository)`);
  return null;
}

/** The golden fixtures folder (`HEALTHGPT_GOLDEN`, default `../shared/golden`); null only outside CI when absent. */
export function goldenDir(): string | null {
  return folder('HEALTHGPT_GOLDEN', '../shared/golden');
}

/** The real data folder (`HEALTHGPT_DATA`, default `../shared/data`); null only outside CI when absent. */
export function dataDir(): string | null {
  return folder('HEALTHGPT_DATA', '../shared/data');
}

/** Like `dataDir()`, but throws when the folder is missing (for tests that cannot run without it). */
export function requireDataDir(): string {
  const d = dataDir();
  if (!d) throw new Error('HEALTHGPT_DATA: the data folder ../shared/data is missing');
  return d;
}
