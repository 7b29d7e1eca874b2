/**
 * Prints which path tensor-core takes on this machine — engine, matmul path (native BLAS and which
 * library, or wasm with its threads), where the addon came from — and the one line that would make
 * it faster. `--require-native` exits 1 unless the matmuls run on the native BLAS (CI uses it).
 *
 *     node --import tsx scripts/backend-report.ts [--require-native]
 */
import { initBackend } from '@healthgpt/tensor-core';

const info = await initBackend();
const { addon, blas, reason } = info.native;
console.log(`engine:  ${info.engine}`);
console.log(`matmul:  ${info.matmul.label}`);
console.log(`addon:   ${addon ? `${addon.path} (${addon.source === 'package' ? 'prebuilt package' : 'local build'})` : 'none'}`);
if (blas) console.log(`BLAS:    ${blas.path} (${blas.interface}${blas.detail ? `; ${blas.detail}` : ''})`);
if (reason) console.log(`why not: ${reason}`);
console.log(`faster:  ${info.hint ?? 'nothing to change'}`);
if (process.argv.includes('--require-native') && info.matmul.kind !== 'native-blas') {
  console.error('backend-report: the native BLAS path is not live (see "why not" above)');
  process.exit(1);
}
