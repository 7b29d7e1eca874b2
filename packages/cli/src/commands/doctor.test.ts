import { describe, expect, it } from 'vitest';
import { backendInfo, initBackend } from '@healthgpt/tensor-core';
import { hasStack, lines, runHealthgpt } from '../../test/run.test_util.js';

describe('healthgpt doctor', () => {
  it('reports the same backend, matmul path and hint as tensor-core in this environment', async () => {
    const info = await initBackend();
    const r = await runHealthgpt(['--threads', '2', 'doctor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.backend).toEqual({ engine: `${info.name} (SIMD, 2 threads)`, name: info.name, simd: info.simd, threads: 2 });
    expect(d.matmul.kind).toBe(info.matmul.kind);
    expect(d.native.blas).toBe(backendInfo().native.blas?.path ?? null);
    expect(d.faster).toEqual(info.hint ? [info.hint] : []);
    expect(d.matmulGflops).toBeGreaterThan(0);
    expect(d.cpu.cores).toBeGreaterThan(0);
  });

  it('says what would make a machine without the native path faster, in plain text', async () => {
    const r = await runHealthgpt(['--threads', '1', 'doctor'], { env: { HEALTHGPT_NATIVE: '0' } });
    expect(r.code, r.stderr).toBe(0);
    const text = Object.fromEntries(lines(r.stdout).map((l) => [l.slice(0, 14).trim().replace(/:$/, ''), l.slice(14)]));
    expect(text.backend).toBe('wasm (SIMD, 1 thread)');
    expect(text.threads).toBe('1');
    expect(text.SIMD).toBe('yes');
    expect(text.matmul).toBe('wasm XNNPACK, 1 thread');
    expect(text['native BLAS']).toMatch(/^none found \(.*HEALTHGPT_NATIVE=0/);
    expect(text.faster).toContain('unset HEALTHGPT_NATIVE');
  });

  it('asking for a backend that is not installed is one line and exit 1', async () => {
    const r = await runHealthgpt(['--backend', 'gpu', 'doctor']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^healthgpt doctor: .*@tensorflow\/tfjs-node-gpu/);
    expect(hasStack(r.stderr)).toBe(false);
  });
});
