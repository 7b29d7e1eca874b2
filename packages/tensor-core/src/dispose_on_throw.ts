import { tf } from './tf.js';

/**
 * Run `build` (a constructor's body, a model build); if it throws, dispose every variable it
 * created (registered with a module or not yet), so a construction that fails part-way leaks
 * nothing. Returns what `build` returns.
 */
export function disposeOnThrow<T>(build: () => T): T {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    return build();
  } catch (e) {
    for (const [name, v] of Object.entries(tf.engine().registeredVariables)) if (!before.has(name)) v.dispose();
    throw e;
  }
}
