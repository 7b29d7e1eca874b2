import { HLoraError } from '../errors.js';
import type { AdapterKind } from './kind.js';
import { loraKind } from './lora.js';
import { moeLoraKind } from './moe_lora.js';
import { hloraKind } from './hlora.js';

const kinds = new Map<string, AdapterKind>([loraKind, moeLoraKind, hloraKind].map((k) => [k.name, k]));

const REQUIRED = ['resolve', 'scaling', 'init', 'numParameters', 'delta'] as const;

/**
 * Register an adapter kind under `kind.name`, so `injectAdapters({ kind: name })` and adapter
 * checkpoints can use it. Re-registering a name throws unless `replace` is set.
 */
export function registerAdapterKind(kind: AdapterKind, { replace = false }: { replace?: boolean } = {}): void {
  HLoraError.check(
    kind && typeof kind.name === 'string' && /^[A-Za-z0-9_-]+$/.test(kind.name),
    'ARGUMENT',
    () => `'kind.name' passed to 'registerAdapterKind' must be a non-empty name of letters, digits, '_' or '-', got ${JSON.stringify(kind?.name)}`,
  );
  for (const f of REQUIRED) HLoraError.check(typeof kind[f] === 'function', 'ARGUMENT', `adapter kind '${kind.name}' passed to 'registerAdapterKind' has no '${f}' function`);
  HLoraError.check(!kind.mergeable || typeof kind.deltaWeight === 'function', 'ARGUMENT', `adapter kind '${kind.name}' passed to 'registerAdapterKind' is mergeable but has no 'deltaWeight' function`);
  HLoraError.check(!kinds.has(kind.name) || replace, 'ARGUMENT', `adapter kind '${kind.name}' is already registered (pass { replace: true } to replace it)`);
  kinds.set(kind.name, kind);
}

/** The kind registered as `name`; the error lists the registered names. */
export function getAdapterKind(name: string): AdapterKind {
  const k = kinds.get(name);
  HLoraError.check(k, 'UNKNOWN_KIND', () => `unknown adapter kind '${name}' (registered: ${[...kinds.keys()].join(', ')})`);
  return k;
}

/** Names of every registered kind, built-ins first. */
export function adapterKindNames(): string[] {
  return [...kinds.keys()];
}
