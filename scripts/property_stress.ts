// fast-check for a stress run of the property tests (`npm run test:stress`, see CONTRIBUTING.md):
// every `fc.assert` runs FC_SCALE times its own numRuns (an explicit numRuns is not overridden by
// fast-check's configureGlobal, hence this wrapper) with a fresh random seed, unless
// FC_KEEP_SEED=1; `examples` are kept. Test files get this module for 'fast-check' through
// scripts/vitest.stress.config.ts.
import fc, { type Parameters as FcParameters } from 'fast-check';

/** A property's run parameters for a stress run: numRuns (fast-check's default 100) × scale, the fixed seed and replay path dropped. */
export function stressParameters<T>(params: FcParameters<T> | undefined, scale: number, keepSeed = false): FcParameters<T> {
  if (!(scale > 0)) throw new RangeError(`FC_SCALE must be a positive number, not ${scale}`);
  const { seed, path, ...rest } = params ?? {};
  return { ...rest, ...(keepSeed && seed !== undefined ? { seed, ...(path !== undefined ? { path } : {}) } : {}), numRuns: Math.max(1, Math.ceil((params?.numRuns ?? 100) * scale)) };
}

const scale = Number(process.env.FC_SCALE ?? '1');
const keepSeed = process.env.FC_KEEP_SEED === '1';

const assert = ((property: Parameters<typeof fc.assert>[0], params?: FcParameters<unknown>) => fc.assert(property, stressParameters(params, scale, keepSeed))) as typeof fc.assert;

export default { ...fc, assert } as typeof fc;
