import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// Two entries: the main one, and `./base`, the tfjs-free part (errors, generator, atomic writes).
export default defineConfig(packageConfig({ entry: { index: 'src/index.ts', base: 'src/base/index.ts' } }));
