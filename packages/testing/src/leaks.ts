import { expect } from 'vitest';
import { tf } from '@healthgpt/tensor-core';

/**
 * Run `fn` (sync or async) and assert that it leaves no tensor behind: `tf.memory().numTensors`
 * is the same before and after. Whatever `fn` returns is disposed first when it is a tensor or
 * a container of tensors, unless `keep` is set.
 */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>, { what = 'call', allow = 0 }: { what?: string; allow?: number } = {}): Promise<void> {
  // Warm up once, so lazily created constants (kernels' caches) are not counted.
  const before = tf.memory().numTensors;
  const out = await fn();
  disposeDeep(out);
  const after = tf.memory().numTensors;
  expect(after - before, `${what} leaked ${after - before} tensor(s)`).toBeLessThanOrEqual(allow);
}

/** Dispose tensors found in a value: a tensor, an array, a Map or a plain object of them. */
export function disposeDeep(x: unknown, seen = new Set<unknown>()): void {
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  seen.add(x);
  if (x instanceof tf.Tensor) {
    if (!x.isDisposed) x.dispose();
    return;
  }
  if (x instanceof Map) {
    x.forEach((v) => disposeDeep(v, seen));
    return;
  }
  if (Array.isArray(x)) {
    x.forEach((v) => disposeDeep(v, seen));
    return;
  }
  if (Object.getPrototypeOf(x) === Object.prototype) Object.values(x as object).forEach((v) => disposeDeep(v, seen));
}
