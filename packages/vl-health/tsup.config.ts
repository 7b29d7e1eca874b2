import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// Two entries: the library and the `vl-health-synth` bin. nifti-reader-js ships ESM only (its
// exports have no `require` condition), so it is bundled to keep the CommonJS build loadable.
export default defineConfig(packageConfig({ entry: ['src/index.ts', 'src/cli.ts'], noExternal: ['nifti-reader-js'] }));
