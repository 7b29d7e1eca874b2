import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// Two entries, `.` and `./testing`. The testing entry imports `@healthgpt/h-lora` and keeps that
// import (external), so a user's tests and code share one copy of the registry and the classes;
// its declarations are checked against this package's own sources.
export default defineConfig(
  packageConfig({
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
    external: ['@healthgpt/h-lora'],
    dts: { compilerOptions: { composite: false, paths: { '@healthgpt/h-lora': ['./src/index.ts'] } } },
  }),
);
