import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// The library (ESM + CommonJS) and the `healthgpt` bin (ESM only, with its shebang).
export default defineConfig([packageConfig({ clean: ['!cli.js', '!cli.js.map'] }), packageConfig({ entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false })]);
