/**
 * The engines the benchmarks compare (tfjs backends and tensor-core's optional native matmul),
 * shared by the matmul section (packages/tensor-core/bench) and the training section (training).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendInfo, initBackend, useNativeMatmul } from '@healthgpt/tensor-core';
import { nativeBlas } from '@healthgpt/tensor-core/internal';
import type { BenchReport } from './report.js';

export interface Engine {
  name: string;
  /** Switch to this engine: null when unavailable, else a note for its row. */
  setup(): Promise<string | null>;
  /** Timed repeats of a micro-benchmark (matmul). */
  repeats: number;
  /** Training: timed steps and batch size (the cpu engine trains at batch 1: a batch-8 step takes ~70 s there). */
  trainSteps: number;
  trainBatch: number;
}

const NATIVE_BUILD = fileURLToPath(new URL('../packages/tensor-core/native/build.mjs', import.meta.url));

/** Build tensor-core's optional native addon if it is not built (quietly; it stays optional). */
export function ensureNativeBuilt(): void {
  if (!nativeBlas() && existsSync(NATIVE_BUILD)) spawnSync(process.execPath, [NATIVE_BUILD], { stdio: 'ignore' });
}

export const ENGINES: Engine[] = [
  {
    name: 'cpu (tfjs JS kernels)',
    setup: async () => (useNativeMatmul(false), await initBackend({ backend: 'cpu' }), ''),
    repeats: 2,
    trainSteps: 2,
    trainBatch: 1,
  },
  { name: 'wasm SIMD, 1 thread (XNNPACK)', setup: async () => (useNativeMatmul(false), await initBackend({ backend: 'wasm', threads: 1 }), ''), repeats: 7, trainSteps: 5, trainBatch: 8 },
  { name: 'wasm SIMD, 2 threads (XNNPACK)', setup: async () => (useNativeMatmul(false), await initBackend({ backend: 'wasm', threads: 2 }), ''), repeats: 7, trainSteps: 5, trainBatch: 8 },
  {
    name: 'wasm + native BLAS matmul',
    setup: async () => {
      await initBackend({ backend: 'wasm', threads: 1 });
      if (!useNativeMatmul(true)) return null;
      nativeBlas()!.setThreads(2);
      return `optional N-API addon, ${nativeBlas()!.blasLibrary()} with 2 threads`;
    },
    repeats: 7,
    trainSteps: 7,
    trainBatch: 8,
  },
];

/** The row of an engine whose setup returned null (the native BLAS is not available): what is missing and how to get it. */
export function unavailableRow(e: Engine): BenchReport['rows'][number] {
  const info = backendInfo();
  return { run: e.name, engine: info.engine, matmul: `native BLAS unavailable: ${info.native.reason}`, note: info.hint ?? '' };
}

/**
 * One row per engine, in order: each engine that sets up is announced on stderr and measured by
 * `measure(engine, note)` (note: what setup said about it); one that cannot run gets its
 * `unavailableRow`.
 */
export async function engineRows(measure: (e: Engine, note: string) => BenchReport['rows'][number] | Promise<BenchReport['rows'][number]>): Promise<BenchReport['rows']> {
  const rows: BenchReport['rows'] = [];
  for (const e of ENGINES) {
    const note = await e.setup();
    if (note === null) {
      rows.push(unavailableRow(e));
      continue;
    }
    console.error(`# ${e.name}`);
    rows.push(await measure(e, note));
  }
  return rows;
}
