import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// Three entries: the main one; `./base`, the tfjs-free part (errors, generator, atomic writes);
// `./internal`, the unstable plumbing other packages of the repository use. Code splitting in both
// formats, so the entries share one copy of each module (one kernel registry, one error class) for
// CommonJS users too; the shims give the CommonJS chunks `import.meta.url`.
export default defineConfig(packageConfig({ entry: { index: 'src/index.ts', base: 'src/base/index.ts', internal: 'src/internal.ts' }, splitting: true, shims: true }));
