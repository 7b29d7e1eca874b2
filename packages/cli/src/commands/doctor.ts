import os from 'node:os';
import { Command } from 'commander';
import type { Context } from '../program.js';
import { VERSION } from '../version.js';
import { printJson, say } from '../util/io.js';
import { startBackend } from '../util/backend.js';

/** What `healthgpt doctor` finds. */
export interface DoctorReport {
  version: string;
  node: string;
  platform: string;
  cpu: { model: string; cores: number; memoryGiB: number };
  backend: { engine: string; name: string; simd: boolean; threads: number };
  matmul: { kind: string; label: string; library: string | null; threads: number | null };
  native: { addon: string | null; source: string | null; blas: string | null; reason: string | null };
  /** A 256×256 float32 matmul, best of a few runs, in GFLOP/s (a rough figure for this machine now). */
  matmulGflops: number;
  /** What would make this machine faster; empty when nothing would. */
  faster: string[];
}

async function measureMatmul(): Promise<number> {
  const { tf } = await import('@healthgpt/tensor-core');
  const n = 256;
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  try {
    let best = Infinity;
    for (let i = 0; i < 6; i++) {
      const t = performance.now();
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
      if (i > 0) best = Math.min(best, performance.now() - t); // the first run warms up
    }
    return (2 * n ** 3) / (best / 1000) / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}

/** `healthgpt doctor`: the live backend, threads, SIMD, the native BLAS, and what would make it faster. */
export function doctorCommand(ctx: Context): Command {
  return new Command('doctor')
    .description('show the tensor backend, threads, SIMD, whether a native BLAS was found, and what would make this machine faster')
    .option('--json', 'print the findings as JSON')
    .action(async (o: { json?: boolean }) => {
      const info = await startBackend(ctx.globals());
      const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
      const faster: string[] = [];
      if (info.hint) faster.push(info.hint);
      if (info.name === 'wasm' && info.threads < Math.min(cores, 4) && info.matmul.kind !== 'native-blas')
        faster.push(`--threads ${Math.min(cores, 4)} (or HEALTHGPT_WASM_THREADS=${Math.min(cores, 4)}): wasm uses ${info.threads} of ${cores} cores`);
      if (info.name === 'wasm' && !info.simd) faster.push('a Node.js with WebAssembly SIMD (Node 20 has it): the SIMD build is several times faster');
      const report: DoctorReport = {
        version: VERSION,
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        cpu: { model: os.cpus()[0]?.model.trim() ?? 'unknown', cores, memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10 },
        backend: { engine: info.engine, name: info.name, simd: info.simd, threads: info.threads },
        matmul: { kind: info.matmul.kind, label: info.matmul.label, library: info.matmul.library, threads: info.matmul.threads },
        native: { addon: info.native.addon?.path ?? null, source: info.native.addon?.source ?? null, blas: info.native.blas?.path ?? null, reason: info.native.reason },
        matmulGflops: Math.round((await measureMatmul()) * 10) / 10,
        faster,
      };
      if (o.json) return printJson(ctx.io, report);
      const rows: string[][] = [
        ['healthgpt', `${report.version} on Node ${report.node} (${report.platform})`],
        ['CPU', `${report.cpu.model}, ${cores} core${cores === 1 ? '' : 's'}, ${report.cpu.memoryGiB} GiB`],
        ['backend', report.backend.engine],
        ['threads', String(report.backend.threads)],
        ['SIMD', report.backend.simd ? 'yes' : 'no'],
        ['matmul', report.matmul.label],
        ['native addon', report.native.addon ? `${report.native.addon} (${report.native.source === 'package' ? 'prebuilt package' : 'local build'})` : 'none'],
        ['native BLAS', report.native.blas ?? `none found${report.native.reason ? ` (${report.native.reason})` : ''}`],
        ['256² matmul', `${report.matmulGflops} GFLOP/s now`],
        ['faster', faster.length ? faster.join('; ') : 'nothing to change: this is the fastest path here'],
      ];
      for (const [k, v] of rows) say(ctx.io, `${`${k}:`.padEnd(14)}${v}`);
    });
}
