import { defineConfig, type Options } from 'tsup';
import { packageConfig } from '../../tsup.base';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * vitest cannot be `require`d. In the CommonJS build, src/testing/runner.ts (vitest's `describe`
 * and `it`) is replaced by a stub whose functions say so, so `require('@healthgpt/h-lora/testing')`
 * still loads (for `adapterKindChecks` under another runner); vitest itself loads the ESM build.
 */
const vitestStubForCjs: Plugin = {
  name: 'vitest-stub-for-cjs',
  setup(build) {
    if (build.initialOptions.format !== 'cjs') return;
    build.onResolve({ filter: /^\.\/runner\.js$/ }, () => ({ path: 'runner', namespace: 'vitest-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'vitest-stub' }, () => ({
      contents: `const fail = () => { throw new Error("checkAdapterKind registers vitest tests and needs the ES module build: import '@healthgpt/h-lora/testing' (vitest does), or call adapterKindChecks(kind) under another runner"); };
export const describe = fail;
export const it = fail;`,
      loader: 'js',
    }));
  },
};

// Two entries, `.` and `./testing`. The testing entry imports `@healthgpt/h-lora` and keeps that
// import (external), so a user's tests and code share one copy of the registry and the classes;
// its declarations are checked against this package's own sources.
export default defineConfig(
  packageConfig({
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
    external: ['@healthgpt/h-lora'],
    esbuildPlugins: [vitestStubForCjs],
    dts: { compilerOptions: { composite: false, paths: { '@healthgpt/h-lora': ['./src/index.ts'] } } },
  }),
);
