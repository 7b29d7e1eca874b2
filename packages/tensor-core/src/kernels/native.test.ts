import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { nativeAddon, nativeStatus, platformKey, NATIVE_ABI, type NativeStatus } from './native.js';
import { randomValues, maxAbsDiff } from '@healthgpt/testing';

const nativeModule = fileURLToPath(new URL('./native.ts', import.meta.url));
const reportModule = fileURLToPath(new URL('../backend_report.ts', import.meta.url));
const size = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 17 }));
const platformDir = fileURLToPath(new URL(`../../npm/${platformKey()}`, import.meta.url));

/** Row-major reference: C[i] = op(A[i])·op(B[i]). */
function reference(a: Float32Array, b: Float32Array, batch: number, as: number, bs: number, m: number, n: number, k: number, ta: boolean, tb: boolean): Float32Array {
  const c = new Float32Array(batch * m * n);
  for (let p = 0; p < batch; p++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a[p * as + (ta ? q * m + i : i * k + q)] * b[p * bs + (tb ? j * k + q : q * n + j)];
        c[(p * m + i) * n + j] = s;
      }
  return c;
}

// Random products through the addon against the reference (transposes, batches, broadcast
// operands, offsets into a larger buffer as on the wasm heap). Used in this process and in children.
const SGEMM_CHECK = `
function sgemmCheck(addon, reference, randomValues) {
  let worst = 0;
  for (let t = 0; t < 32; t++) {
    // Every 4th case is one row or one column (the gemv route), under each transpose combination.
    const m = t % 8 === 0 ? 1 : 1 + (t * 7) % 9, n = t % 8 === 4 ? 1 : 1 + (t * 5) % 11, k = 1 + (t * 3) % 13, batch = 1 + t % 3;
    const ta = t % 2 === 1, tb = t % 4 >= 2, shareB = t % 5 === 0;
    const as = m * k, bs = shareB ? 0 : k * n, off = 3 + t;
    const heap = randomValues(off + batch * as + batch * k * n + batch * m * n, t + 1);
    const aOff = off, bOff = off + batch * as, cOff = bOff + batch * k * n;
    addon.sgemm(heap, aOff, heap, bOff, heap, cOff, batch, as, bs, m, n, k, ta ? 1 : 0, tb ? 1 : 0);
    const want = reference(heap.subarray(aOff), heap.subarray(bOff), batch, as, bs, m, n, k, ta, tb);
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(heap[cOff + i] - want[i]));
  }
  return worst;
}`;

interface Probe {
  status: NativeStatus;
  hint: string | null;
  label: string;
  sgemmError: number | null;
}

/** Load the native path in a fresh process under `env` and report what it found. */
function probe(env: Record<string, string>): Probe {
  const code = `
    const { nativeStatus, nativeAddon } = await import(${JSON.stringify(nativeModule)});
    const { speedHint, matmulPath } = await import(${JSON.stringify(reportModule)});
    const reference = ${reference.toString()};
    const randomValues = ${randomValues.toString()};
    ${SGEMM_CHECK}
    const status = nativeStatus();
    const addon = nativeAddon();
    const sgemmError = addon && status.blas ? sgemmCheck(addon, reference, randomValues) : null;
    console.log(JSON.stringify({ status, hint: speedHint('wasm', 2, status), label: matmulPath('wasm', 2, status).label, sgemmError }));`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HEALTHGPT_BLAS') && k !== 'HEALTHGPT_NATIVE'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { env: { ...clean, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`probe failed (${JSON.stringify(env)}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Probe;
}

// BLAS builds a Debian/Ubuntu machine may have, and what the addon should call them.
const DEBIAN_LIBS = [
  { file: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0', vendor: 'OpenBLAS', parallel: 'pthreads' },
  { file: '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0', vendor: 'OpenBLAS', parallel: 'openmp' },
  { file: '/usr/lib/x86_64-linux-gnu/openblas-serial/libopenblas.so.0', vendor: 'OpenBLAS', parallel: 'serial' },
  { file: '/usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so.4', vendor: 'BLIS', parallel: 'pthreads' },
  { file: '/usr/lib/x86_64-linux-gnu/blis-openmp/libblis.so.4', vendor: 'BLIS', parallel: 'openmp' },
  { file: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', vendor: 'reference', parallel: 'serial' },
].filter((l) => existsSync(l.file));

describe('the native path (addon + run-time BLAS)', () => {
  it('reports a consistent status: an addon and its BLAS, or the reason there is none', () => {
    const s = nativeStatus();
    expect(s.platformPackage).toBe(`@healthgpt/tensor-core-${platformKey()}`);
    if (s.addon) {
      expect(['build', 'package']).toContain(s.addon.source);
      expect(nativeAddon()!.abi).toBe(NATIVE_ABI);
    }
    if (s.blas) {
      expect(s.reason).toBeNull();
      expect(s.blas.path.length).toBeGreaterThan(0);
      expect(['cblas', 'fortran']).toContain(s.blas.interface);
    } else {
      expect(s.reason).toMatch(/HEALTHGPT_NATIVE=0|not installed|no BLAS|could not be used|did not load|stale build/);
    }
  });

  it('multiplies like the reference on transposes, batches, broadcasts and offsets (whatever BLAS was found)', () => {
    const addon = nativeAddon();
    if (!addon || !nativeStatus().blas) {
      expect(nativeStatus().reason).not.toBeNull();
      return;
    }
    fc.assert(
      // One-row and one-column products (decoding; gemv inside the addon) are drawn often.
      fc.property(size, size, fc.integer({ min: 1, max: 17 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean(), fc.boolean(), (m, n, k, batch, ta, tb, share) => {
        const bs = share ? 0 : k * n;
        const a = randomValues(batch * m * k, m * 31 + k);
        const b = randomValues(batch * k * n, n * 17 + k);
        const c = new Float32Array(batch * m * n + 5).fill(NaN);
        addon.sgemm(a, 0, b, 0, c, 5, batch, m * k, bs, m, n, k, ta ? 1 : 0, tb ? 1 : 0);
        expect(maxAbsDiff(c.subarray(5), reference(a, b, batch, m * k, bs, m, n, k, ta, tb))).toBeLessThan(1e-5);
      }),
      { numRuns: 80 },
    );
  });

  it('rejects out-of-bounds operands and wrong argument types with a typed native error', () => {
    const addon = nativeAddon();
    if (!addon || !nativeStatus().blas) {
      expect(nativeStatus().reason).not.toBeNull();
      return;
    }
    const x = new Float32Array(4);
    expect(() => addon.sgemm(x, 0, x, 0, x, 0, 1, 0, 0, 2, 2, 3, 0, 0)).toThrow(/out of bounds/);
    expect(() => addon.sgemm(new Float64Array(4) as unknown as Float32Array, 0, x, 0, x, 0, 1, 0, 0, 1, 1, 1, 0, 0)).toThrow(/Float32Arrays/);
    expect(() => addon.setThreads(0)).toThrow(/1\.\.1024/);
  });

  it('loads the prebuilt platform package of this repository (staged by npm ci / the pack script)', async () => {
    if (!existsSync(platformDir)) {
      // No prebuilt package for this platform: the hint names the one-line build instead.
      expect(probe({ HEALTHGPT_NATIVE: '0' }).status.addon).toBeNull();
      return;
    }
    const { createRequire } = await import('node:module');
    const addon = createRequire(import.meta.url)(`@healthgpt/tensor-core-${platformKey()}`) as { abi: number; blasProblem(): string };
    expect(addon.abi).toBe(NATIVE_ABI);
    expect(typeof addon.blasProblem()).toBe('string');
  });

  it('HEALTHGPT_NATIVE=0 turns the native path off, and the hint says how to turn it back on', () => {
    const p = probe({ HEALTHGPT_NATIVE: '0' });
    expect(p.status.addon).toBeNull();
    expect(p.status.reason).toMatch(/HEALTHGPT_NATIVE=0/);
    expect(p.label).toBe('wasm XNNPACK, 2 threads');
    expect(p.hint).toMatch(/unset HEALTHGPT_NATIVE/);
  });

  it('a HEALTHGPT_BLAS that cannot be loaded is reported by name, and no other BLAS is taken instead', () => {
    const p = probe({ HEALTHGPT_BLAS: '/nonexistent/libmyblas.so' });
    if (!p.status.addon) return void expect(nativeStatus().addon).toBeNull();
    expect(p.status.blas).toBeNull();
    expect(p.status.reason).toContain('HEALTHGPT_BLAS=/nonexistent/libmyblas.so');
    expect(p.hint).toContain('HEALTHGPT_BLAS=/nonexistent/libmyblas.so could not be loaded');
    expect(p.label).toMatch(/^wasm XNNPACK/);
  });

  it('finds each BLAS build present on this machine by name, tells them apart, and multiplies correctly with each', () => {
    if (!nativeStatus().addon) return void expect(nativeStatus().reason).not.toBeNull();
    for (const lib of DEBIAN_LIBS) {
      const p = probe({ HEALTHGPT_BLAS: lib.file });
      expect(p.status.blas, lib.file).not.toBeNull();
      expect(p.status.blas).toMatchObject({ library: lib.file, vendor: lib.vendor, parallel: lib.parallel, interface: 'cblas' });
      expect(p.sgemmError!, lib.file).toBeLessThan(1e-5);
      if (lib.vendor === 'reference') expect(p.hint).toMatch(/reference BLAS is several times slower/);
    }
  });

  it('falls back to the Fortran sgemm_ interface (row-major through the column-major call) with the same results', () => {
    const p = probe({ HEALTHGPT_BLAS_INTERFACE: 'fortran' });
    if (!p.status.blas) return void expect(p.status.reason).not.toBeNull();
    expect(p.status.blas.interface).toBe('fortran');
    expect(p.sgemmError!).toBeLessThan(1e-5);
  });

  it('HEALTHGPT_BLAS_THREADS sets the thread count, and the hint offers the core count when it is lower', () => {
    const p = probe({ HEALTHGPT_BLAS_THREADS: '1' });
    if (!p.status.blas || p.status.blas.threads === null) return void expect(p.status.reason ?? p.status.blas?.vendor).toBeTruthy();
    expect(p.status.blas.threads).toBe(1);
    expect(p.label).toMatch(/, 1 thread$/);
    const cores = os.availableParallelism();
    if (cores > 1) expect(p.hint).toBe(`HEALTHGPT_BLAS_THREADS=${cores} (the BLAS uses 1 thread of ${cores} cores)`);
  });
});
