import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '@healthgpt/tensor-core/base';
import { join } from 'node:path';
import os from 'node:os';

export interface BenchReport {
  /** File name under bench/results (no extension). */
  name: string;
  title: string;
  /** Rows of the table; every row should have the same keys. */
  rows: Record<string, string | number | null>[];
  /** Free-form notes printed under the table (targets, what limits the figures). */
  notes?: string[];
}

export type BenchFn = () => Promise<BenchReport>;

/**
 * Every row names the path it ran on: `engine` (e.g. `wasm (SIMD, 2 threads)`, `PyTorch 1.13
 * eager`) and `matmul` (e.g. `native BLAS: OpenBLAS 0.3.21 (pthreads), 2 threads`, `wasm XNNPACK,
 * 2 threads`). `writeReport` refuses a row without them.
 */
export interface RowPath {
  engine: string;
  matmul: string;
}

/** The path columns of tensor-core's live backend (pass `backendInfo()` or `initBackend()`'s result). */
export function pathOf(info: { engine: string; matmul: { label: string } }): RowPath {
  return { engine: info.engine, matmul: info.matmul.label };
}

/** The path columns of a PyTorch row: eager mode, its BLAS with the thread count the run set. */
export function torchPath(version: string, blasThreads: number, intraOp = 1): RowPath {
  return { engine: `PyTorch ${version} eager, ${intraOp} intra-op thread${intraOp === 1 ? '' : 's'}`, matmul: `torch's BLAS (OpenBLAS), ${blasThreads} thread${blasThreads === 1 ? '' : 's'}` };
}

/** Throws unless every row names its engine and matmul path. */
export function checkPaths(r: BenchReport): void {
  r.rows.forEach((row, i) => {
    for (const key of ['engine', 'matmul'] as const) {
      if (typeof row[key] !== 'string' || !(row[key] as string).length) throw new Error(`bench report '${r.name}': row ${i} (${JSON.stringify(row).slice(0, 120)}) does not name its ${key} (see RowPath in bench/report.ts)`);
    }
  });
}

/** The median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Time `fn` `repeats` times after `warmup` runs; returns every duration in ms and the median. */
export async function timeIt(fn: () => unknown | Promise<unknown>, { warmup = 1, repeats = 5 } = {}): Promise<{ ms: number[]; median: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return { ms, median: median(ms) };
}

const fmt = (v: string | number | null) => (v === null ? '–' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);

export function toMarkdown(r: BenchReport): string {
  const cols = [...new Set(r.rows.flatMap((row) => Object.keys(row)))];
  const lines = [`### ${r.title}`, '', `| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`];
  for (const row of r.rows) lines.push(`| ${cols.map((c) => fmt(row[c] ?? null)).join(' | ')} |`);
  if (r.notes?.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}

/** Write `<dir>/<name>.json` and `<name>.md`, each atomically (tensor-core's `writeFileAtomic`); returns the markdown. */
export async function writeReport(dir: string, r: BenchReport): Promise<string> {
  checkPaths(r);
  mkdirSync(dir, { recursive: true });
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', date: new Date().toISOString() };
  const md = toMarkdown(r);
  for (const [ext, body] of [
    ['json', JSON.stringify({ ...r, machine }, null, 2)],
    ['md', md],
  ] as const)
    await writeFileAtomic(join(dir, `${r.name}.${ext}`), body);
  return md;
}
