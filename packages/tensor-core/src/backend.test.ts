import { describe, it, expect, afterAll } from 'vitest';
import { tf, initBackend, backendInfo, availableBackends, nativeStatus, useNativeMatmul, BackendUnavailableError, TensorCoreError } from '@healthgpt/tensor-core';
import { blasLabel } from '@healthgpt/tensor-core/internal';
import { NATIVE_PACKAGES } from './backend.js';

describe('initBackend', () => {
  afterAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('activates cpu and wasm and reports what it chose', async () => {
    expect(await initBackend({ backend: 'cpu' })).toMatchObject({ name: 'cpu', requested: 'cpu', simd: false, threads: 1, engine: 'cpu (JS)' });
    const w = await initBackend({ backend: 'wasm' });
    expect(w).toMatchObject({ name: 'wasm', requested: 'wasm', threads: 1 });
    expect(typeof w.simd).toBe('boolean');
    expect(tf.getBackend()).toBe('wasm');
    expect(await availableBackends()).toEqual(expect.arrayContaining(['cpu', 'wasm']));
  });

  it("'auto' picks the fastest available: wasm with SIMD here (no tfjs-node installed)", async () => {
    const info = await initBackend({ backend: 'auto' });
    expect(info.name).toBe('wasm');
    expect(info.requested).toBe('auto');
    expect(info.simd).toBe(true);
  });

  it('raises a typed BackendUnavailableError with install instructions for absent native and gpu', async () => {
    const saved = { ...NATIVE_PACKAGES };
    // Point at names that cannot resolve, so the test holds even where tfjs-node is installed.
    NATIVE_PACKAGES.native = '@healthgpt/not-installed-tfjs-node';
    NATIVE_PACKAGES.gpu = '@healthgpt/not-installed-tfjs-node-gpu';
    try {
      for (const [backend, pkg] of [
        ['native', '@tensorflow/tfjs-node@4.22.0'],
        ['gpu', '@tensorflow/tfjs-node-gpu@4.22.0'],
      ] as const) {
        const err = await initBackend({ backend }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BackendUnavailableError);
        expect((err as BackendUnavailableError).backend).toBe(backend);
        expect((err as BackendUnavailableError).code).toBe('BACKEND_UNAVAILABLE');
        expect((err as Error).message).toContain(`npm install ${pkg}`);
      }
    } finally {
      Object.assign(NATIVE_PACKAGES, saved);
    }
  });

  it('reports the live matmul path (native BLAS and its library, or wasm with its threads) and the speed hint', async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    const native = nativeStatus();
    expect(info.native).toEqual(native);
    expect(info.engine).toBe(`wasm (${info.simd ? 'SIMD' : 'no SIMD'}, 1 thread)`);
    if (native.blas && native.reason === null) {
      expect(info.matmul).toMatchObject({ kind: 'native-blas', library: blasLabel(native.blas) });
      expect(info.matmul.label).toContain(native.blas.vendor === 'unknown' ? native.blas.library : native.blas.vendor);
    } else {
      expect(info.matmul).toEqual({ kind: 'wasm-xnnpack', library: null, threads: 1, label: 'wasm XNNPACK, 1 thread' });
      expect(info.hint).not.toBeNull();
    }
    expect(backendInfo()).toEqual(info);
    // Switched off at run time, the report follows.
    useNativeMatmul(false);
    try {
      expect(backendInfo().matmul.kind).toBe('wasm-xnnpack');
      if (native.blas) expect(backendInfo().hint).toMatch(/useNativeMatmul\(true\)/);
    } finally {
      useNativeMatmul(true);
    }
  });

  it('validates its options at the door', async () => {
    await expect(initBackend({ backend: 'tpu' as never })).rejects.toBeInstanceOf(TensorCoreError);
    await expect(initBackend({ backend: 'wasm', threads: 0 })).rejects.toThrow(/'threads' passed to 'initBackend'/);
  });

  it('runs the threaded wasm build with 2 workers in Node and computes correctly', async () => {
    const info = await initBackend({ backend: 'wasm', threads: 2 });
    expect(info).toMatchObject({ name: 'wasm', threads: 2, simd: true });
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.matMul(a, a, false, true);
    expect(Array.from(y.dataSync())).toEqual([14, 32, 32, 77]);
    tf.dispose([a, y]);
    expect(await initBackend({ backend: 'wasm', threads: 1 })).toMatchObject({ threads: 1 });
  });
});

describe('defaultWasmThreads', () => {
  it('follows HEALTHGPT_WASM_THREADS, else 1 beside the native BLAS, else one per core up to 4', async () => {
    const { defaultWasmThreads, useNativeMatmul } = await import('@healthgpt/tensor-core');
    const { nativeBlas } = await import('@healthgpt/tensor-core/internal');
    const os = await import('node:os');
    const saved = process.env.HEALTHGPT_WASM_THREADS;
    process.env.HEALTHGPT_WASM_THREADS = '3';
    expect(defaultWasmThreads()).toBe(3);
    delete process.env.HEALTHGPT_WASM_THREADS;
    const perCore = Math.max(1, Math.min(os.availableParallelism(), 4));
    expect(defaultWasmThreads()).toBe(nativeBlas() ? 1 : perCore);
    try {
      useNativeMatmul(false); // the wasm-only path: one thread per core again
      expect(defaultWasmThreads()).toBe(perCore);
    } finally {
      useNativeMatmul(true);
    }
    if (saved !== undefined) process.env.HEALTHGPT_WASM_THREADS = saved;
  });
});
