import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

type Alias = { find: RegExp; replacement: string };

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests import @healthgpt/* from their sources, so one copy of each package (and of tfjs) loads.
// A subpath export `./x` maps to `src/x/index.ts` (or `src/x.ts`); the main entry to `src/index.ts`.
const alias: Alias[] = [];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
for (const dir of readdirSync(`${root}packages`)) {
  const pkgFile = `${root}packages/${dir}/package.json`;
  const entry = `${root}packages/${dir}/src/index.ts`;
  if (!existsSync(pkgFile) || !existsSync(entry)) continue;
  const name = JSON.parse(readFileSync(pkgFile, 'utf8')).name as string;
  const subpaths = Object.keys(JSON.parse(readFileSync(pkgFile, 'utf8')).exports ?? {}).filter((k) => k !== '.' && k !== './package.json');
  for (const sub of subpaths) {
    const rel = sub.slice(2);
    const source = [`${root}packages/${dir}/src/${rel}/index.ts`, `${root}packages/${dir}/src/${rel}.ts`].find(existsSync);
    if (source) alias.push({ find: new RegExp(`^${escape(`${name}/${rel}`)}$`), replacement: source });
  }
  alias.push({ find: new RegExp(`^${escape(name)}$`), replacement: entry });
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    setupFiles: [`${root}packages/testing/src/setup.ts`],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default', `${root}scripts/summary-reporter.ts`],
  },
});
