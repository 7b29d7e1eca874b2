import { describe, it, expect, afterEach } from 'vitest';
import os from 'node:os';
import { matmulPath, speedHint, blasLabel, blasInstallCommand } from './backend_report.js';
import type { BlasInfo, NativeStatus } from './kernels/native.js';

const cores = os.availableParallelism();
const openblas: BlasInfo = { library: 'libopenblas.so.0', path: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0', vendor: 'OpenBLAS', version: '0.3.21', parallel: 'pthreads', detail: '', interface: 'cblas', threads: cores };
const addon = { path: '/x/tensor_core_native.node', source: 'package' as const };
const status = (s: Partial<NativeStatus>): NativeStatus => ({ addon, blas: openblas, reason: null, platformPackage: '@healthgpt/tensor-core-linux-x64', ...s });

describe('matmulPath', () => {
  it('names the native BLAS with library and threads, else wasm with its thread count, else the JS kernels', () => {
    expect(matmulPath('wasm', 2, status({}))).toEqual({ kind: 'native-blas', library: 'OpenBLAS 0.3.21 (pthreads)', threads: cores, label: `native BLAS: OpenBLAS 0.3.21 (pthreads), ${cores} thread${cores === 1 ? '' : 's'}` });
    expect(matmulPath('cpu', 1, status({})).kind).toBe('native-blas');
    expect(matmulPath('wasm', 2, status({ blas: null, reason: 'no BLAS library found' }))).toEqual({ kind: 'wasm-xnnpack', library: null, threads: 2, label: 'wasm XNNPACK, 2 threads' });
    expect(matmulPath('wasm', 1, status({ reason: 'switched off with useNativeMatmul(false)' })).label).toBe('wasm XNNPACK, 1 thread');
    expect(matmulPath('cpu', 1, status({ addon: null, blas: null, reason: 'x' })).kind).toBe('cpu-js');
    expect(matmulPath('tensorflow', 0, status({})).kind).toBe('tfjs-node');
  });

  it('labels a BLAS whose vendor is unknown by its file name, and omits an unknown threading kind', () => {
    expect(blasLabel({ ...openblas, vendor: 'unknown', version: '', parallel: 'unknown', library: 'libblas.so.3' })).toBe('libblas.so.3');
    expect(blasLabel({ ...openblas, vendor: 'BLIS', version: '0.9.0', parallel: 'openmp' })).toBe('BLIS 0.9.0 (openmp)');
  });
});

describe('speedHint: the one line that would make this machine faster', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['HEALTHGPT_NATIVE', 'HEALTHGPT_BLAS']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('is null on a machine already on the fastest path', () => {
    expect(speedHint('wasm', 2, status({}))).toBeNull();
    expect(speedHint('tensorflow', 0, status({ addon: null, blas: null, reason: 'x' }))).toBeNull();
  });

  it('asks to reinstall with optional dependencies where a prebuilt package exists, else gives the one-line build', () => {
    delete process.env.HEALTHGPT_NATIVE;
    expect(speedHint('wasm', 2, status({ addon: null, blas: null, reason: 'not installed' }))).toBe('reinstall with optional dependencies (npm install --include=optional): @healthgpt/tensor-core-linux-x64 holds the prebuilt native path');
    const other = speedHint('wasm', 2, status({ addon: null, blas: null, reason: 'not installed', platformPackage: '@healthgpt/tensor-core-freebsd-riscv64' }));
    expect(other).toMatch(/^build the native path for freebsd-riscv64: node .*native\/build\.mjs$/);
  });

  it('says how to turn the native path back on when HEALTHGPT_NATIVE=0 or useNativeMatmul(false) turned it off', () => {
    process.env.HEALTHGPT_NATIVE = '0';
    expect(speedHint('wasm', 2, status({ addon: null, blas: null, reason: 'HEALTHGPT_NATIVE=0 turns the native path off' }))).toMatch(/^unset HEALTHGPT_NATIVE/);
    expect(speedHint('wasm', 2, status({ reason: 'switched off with useNativeMatmul(false)' }))).toMatch(/useNativeMatmul\(true\)/);
  });

  it('names the BLAS to install, or the HEALTHGPT_BLAS that failed', () => {
    delete process.env.HEALTHGPT_BLAS;
    expect(speedHint('wasm', 2, status({ blas: null, reason: 'no BLAS library found' }))).toBe(`install a BLAS for the native path: ${blasInstallCommand()}`);
    process.env.HEALTHGPT_BLAS = '/opt/x/libfoo.so';
    expect(speedHint('wasm', 2, status({ blas: null, reason: 'HEALTHGPT_BLAS=/opt/x/libfoo.so could not be used' }))).toBe('HEALTHGPT_BLAS=/opt/x/libfoo.so could not be loaded: point it at a BLAS library, or unset it');
  });

  it('flags a reference BLAS, a single-threaded build and a thread count below the cores', () => {
    expect(speedHint('wasm', 2, status({ blas: { ...openblas, vendor: 'reference', parallel: 'serial' } }))).toMatch(/reference BLAS is several times slower/);
    if (cores > 1) {
      expect(speedHint('wasm', 2, status({ blas: { ...openblas, parallel: 'serial', threads: 1 } }))).toMatch(/single-threaded; a threaded build uses all/);
      expect(speedHint('wasm', 2, status({ blas: { ...openblas, threads: 1 } }))).toBe(`HEALTHGPT_BLAS_THREADS=${cores} (the BLAS uses 1 thread of ${cores} cores)`);
    }
  });

  it('points a cpu-engine user at wasm once the BLAS is in place', () => {
    expect(speedHint('cpu', 1, status({}))).toMatch(/backend: 'wasm'/);
  });

  it('gives this distribution its OpenBLAS install command', () => {
    const cmd = blasInstallCommand();
    if (process.platform === 'linux') expect(cmd).toMatch(/apt-get install libopenblas0-pthread|dnf install|zypper install|pacman -S|apk add|install a threaded OpenBLAS/);
    else expect(cmd.length).toBeGreaterThan(0);
  });
});
