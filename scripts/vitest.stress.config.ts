// The property tests under stress: `FC_SCALE=10 npm run test:stress -- <files> --maxWorkers=1`
// runs every fast-check property with ten times its runs and fresh seeds (scripts/property_stress.ts);
// test timeouts are raised to match. A failure prints its seed and counterexample as usual.
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../vitest.config';

const wrapper = fileURLToPath(new URL('./property_stress.ts', import.meta.url));
const scale = Number(process.env.FC_SCALE ?? '1');
const timeout = Math.ceil(120_000 * Math.max(1, scale));

export default mergeConfig(
  base,
  defineConfig({
    root: fileURLToPath(new URL('..', import.meta.url)),
    plugins: [
      {
        name: 'fast-check-under-stress',
        enforce: 'pre',
        // every importer of 'fast-check' but the wrapper itself gets the wrapper
        resolveId: (source: string, importer?: string) => (source === 'fast-check' && importer !== undefined && importer !== wrapper ? wrapper : null),
      },
    ],
    test: { testTimeout: timeout, hookTimeout: timeout },
  }),
);
