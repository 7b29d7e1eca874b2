import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// Two entries: the library and the `vl-health-synth` bin.
export default defineConfig(packageConfig({ entry: ['src/index.ts', 'src/cli.ts'] }));
