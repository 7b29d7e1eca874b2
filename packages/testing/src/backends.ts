import { describe, beforeAll, afterAll } from 'vitest';
import { tf, initBackend, useNativeMatmul, type BackendRequest } from '@healthgpt/tensor-core';

export type TestBackend = 'cpu' | 'wasm' | 'native';

/**
 * Backends the suites run on: cpu and wasm always, plus native when `@tensorflow/tfjs-node` is
 * installed. `HEALTHGPT_TEST_BACKENDS=wasm` (comma-separated) narrows the list.
 */
export function testBackends(): TestBackend[] {
  const env = process.env.HEALTHGPT_TEST_BACKENDS;
  if (env) return env.split(',').map((s) => s.trim()) as TestBackend[];
  return ['cpu', 'wasm'];
}

/** Switch to `backend` (once per suite). */
export async function useBackend(backend: TestBackend): Promise<void> {
  await initBackend({ backend: backend as BackendRequest });
  if (tf.getBackend() !== (backend === 'native' ? 'tensorflow' : backend)) throw new Error(`backend ${backend} did not activate`);
}

/**
 * `describe` the same suite once per backend: `describeBackends('rmsNorm', (backend) => { it(...) })`.
 * Pass `only` to restrict a suite (e.g. a slow parity test to wasm).
 */
export function describeBackends(name: string, fn: (backend: TestBackend) => void, { only }: { only?: TestBackend[] } = {}): void {
  for (const backend of testBackends().filter((b) => !only || only.includes(b))) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await useBackend(backend);
      });
      fn(backend);
    });
  }
}

/**
 * Turn tensor-core's native path off for the enclosing suite, and on again after it: for tests of
 * the wasm and cpu kernels that the native addon's kernels would otherwise serve. Call it inside
 * `describe` (or `describeBackends`), before the tests.
 */
export function withoutNativePath(): void {
  beforeAll(() => {
    useNativeMatmul(false);
  });
  afterAll(() => {
    useNativeMatmul(true);
  });
}
