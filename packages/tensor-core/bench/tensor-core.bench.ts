/**
 * `npm run bench -- tensor-core`: matmul GFLOP/s per engine (cpu, wasm with 1 and 2 threads,
 * wasm + the optional native BLAS, tfjs-node when installed) and PyTorch's (Debian's
 * python3-torch) on the same shapes in the same run. Training throughput of the shipped decoder
 * is the `training` section (bench/training.bench.ts at the repository root).
 */
import { fileURLToPath } from 'node:url';
import { timeIt, pathOf, torchPath, type BenchReport } from '../../../bench/report.js';
import { engineRows, ensureNativeBuilt } from '../../../bench/engines.js';
import { runTorch } from '../../../bench/torch.js';
import { tf, initBackend, backendInfo, BackendUnavailableError, useNativeMatmul } from '../src/index.js';

const MATMULS: { name: string; a: number[]; b: number[] }[] = [
  { name: 'matmul 512² GFLOP/s', a: [512, 512], b: [512, 512] },
  { name: 'matmul 1024² GFLOP/s', a: [1024, 1024], b: [1024, 1024] },
  { name: 'batched [8,128,256]·[8,256,256] GFLOP/s', a: [8, 128, 256], b: [8, 256, 256] },
];

async function matmulRates(repeats: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const mm of MATMULS) {
    const [a, b] = [tf.randomNormal(mm.a), tf.randomNormal(mm.b)];
    const flops = 2 * mm.a.reduce((x, y) => x * y, 1) * mm.b[mm.b.length - 1];
    const t = await timeIt(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), { warmup: 1, repeats });
    out[mm.name] = flops / t.median / 1e6;
    tf.dispose([a, b]);
  }
  return out;
}

export default async function bench(): Promise<BenchReport> {
  ensureNativeBuilt();
  const notes: string[] = [];
  const rows = await engineRows(async (e, note) => ({ run: e.name, ...pathOf(backendInfo()), ...(await matmulRates(e.repeats)), note }));
  useNativeMatmul(true);
  try {
    await initBackend({ backend: 'native' });
    rows.push({ run: 'tfjs-node', ...pathOf(backendInfo()), ...(await matmulRates(7)) });
  } catch (e) {
    rows.push({ run: 'tfjs-node (native)', engine: 'tfjs-node (libtensorflow)', matmul: 'not installed', note: e instanceof BackendUnavailableError ? 'not installed (optional; its install downloads libtensorflow)' : String(e) });
  }
  const torch = runTorch<{ torch: string; gflops: Record<string, number> }>(fileURLToPath(new URL('./torch_matmul.py', import.meta.url)), [
    JSON.stringify({ cases: Object.fromEntries(MATMULS.map((m) => [m.name, [m.a, m.b]])), repeats: 5 }),
  ]);
  if (typeof torch === 'string') notes.push(torch);
  else rows.push({ run: `PyTorch ${torch.torch}`, ...torchPath(torch.torch, 2), ...torch.gflops });
  await initBackend({ backend: 'wasm', threads: 1 });
  notes.push('GFLOP/s are medians of wall time; on a shared machine absolute figures drift, ratios within one run are the comparable figures.');
  return { name: 'tensor-core', title: 'tensor-core: matmul throughput per engine', rows, notes };
}
