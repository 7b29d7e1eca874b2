import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// The library as ESM + CommonJS (+ docs/contact-sheet.png beside it, so the README's picture is in
// the tarball), and the `vl-health-synth` bin as ESM only. Every dependency stays external: the
// CommonJS build loads ESM-only nifti-reader-js with a dynamic import() (decode/nifti.ts).
export default defineConfig([
  packageConfig({ entry: ['src/index.ts'], publicDir: 'docs', clean: ['!cli.js', '!cli.js.map'] }),
  packageConfig({ entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false }),
]);
