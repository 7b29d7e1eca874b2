import type { Options } from 'tsup';

/**
 * The one tsup configuration every package builds with: ESM + CJS + .d.ts from `src/index.ts`.
 * Dependencies and peer dependencies stay external (tsup's default), so TensorFlow.js is never
 * bundled into a package.
 */
export function packageConfig(overrides: Partial<Options> = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { composite: false, paths: {} } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    tsconfig: 'tsconfig.json',
    ...overrides,
  };
}
