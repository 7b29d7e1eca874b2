import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// The library as ESM + CommonJS (+ docs/contact-sheet.png beside it, so the README's picture is in
// the tarball). The command line is `healthgpt data synth` (@healthgpt/cli). Every dependency stays
// external: the CommonJS build loads ESM-only nifti-reader-js with a dynamic import() (decode/nifti.ts).
export default defineConfig([packageConfig({ entry: ['src/index.ts'], publicDir: 'docs' })]);
