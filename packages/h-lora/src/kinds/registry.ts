import { HLoraError } from '../errors.js';
import type { AdapterKind } from './kind.js';
import { loraKind } from './lora.js';
import { doraKind } from './dora.js';
import { moeLoraKind } from './moe_lora.js';
import { hloraKind } from './hlora.js';

const BUILT_IN: AdapterKind[] = [loraKind, doraKind, moeLoraKind, hloraKind];

/**
 * One registry per process, shared by every copy of this package (its ESM and CommonJS builds
 * loaded side by side each see the kinds the other registered).
 */
const REGISTRY = Symbol.for('@healthgpt/h-lora/kinds');
const holder = globalThis as typeof globalThis & { [REGISTRY]?: Map<string, AdapterKind> };
const kinds: Map<string, AdapterKind> = (holder[REGISTRY] ??= new Map());
for (const k of BUILT_IN) if (!kinds.has(k.name)) kinds.set(k.name, k);

const REQUIRED = ['resolve', 'scaling', 'init', 'numParameters'] as const;

/** Throw `HLoraError` `ARGUMENT` unless `kind` has everything the wrapper calls. */
export function validateAdapterKind(kind: AdapterKind<object>, op = 'registerAdapterKind'): void {
  HLoraError.check(
    kind && typeof kind.name === 'string' && /^[A-Za-z0-9_-]+$/.test(kind.name),
    'ARGUMENT',
    () => `'kind.name' passed to '${op}' must be a non-empty name of letters, digits, '_' or '-', got ${JSON.stringify(kind?.name)}`,
  );
  const where = `adapter kind '${kind.name}' passed to '${op}'`;
  for (const f of REQUIRED) HLoraError.check(typeof kind[f] === 'function', 'ARGUMENT', `${where} has no '${f}' function`);
  HLoraError.check(typeof kind.delta === 'function' || typeof kind.transform === 'function', 'ARGUMENT', `${where} has no 'delta' or 'transform' function`);
  HLoraError.check(typeof kind.scalingRule === 'string' || typeof kind.scalingRule === 'function', 'ARGUMENT', `${where} has no 'scalingRule'`);
  const pair = typeof kind.merge === 'function' && typeof kind.unmerge === 'function';
  HLoraError.check((typeof kind.merge === 'function') === (typeof kind.unmerge === 'function'), 'ARGUMENT', `${where} has only one of 'merge' and 'unmerge'`);
  HLoraError.check(!kind.mergeable || typeof kind.deltaWeight === 'function' || pair, 'ARGUMENT', `${where} is mergeable but has no 'deltaWeight' function (or 'merge' and 'unmerge')`);
  const s = kind.settings;
  HLoraError.check(
    s === undefined || (Array.isArray(s.keys) && typeof s.read === 'function' && typeof s.write === 'function'),
    'ARGUMENT',
    `${where}: 'settings' must have 'keys', 'read' and 'write'`,
  );
}

/**
 * Register an adapter kind under `kind.name`, so `injectAdapters({ kind: name })` and adapter
 * checkpoints can use it. Re-registering a name throws unless `replace` is set.
 */
export function registerAdapterKind<S extends object>(kind: AdapterKind<S>, { replace = false }: { replace?: boolean } = {}): void {
  validateAdapterKind(kind as AdapterKind<object>);
  HLoraError.check(!kinds.has(kind.name) || replace, 'ARGUMENT', `adapter kind '${kind.name}' is already registered (pass { replace: true } to replace it)`);
  kinds.set(kind.name, kind as unknown as AdapterKind);
}

/**
 * The kind registered as `name`. The error lists the registered kinds and says how to register
 * one: import the module that defines it (which calls `registerAdapterKind`) before loading.
 */
export function getAdapterKind(name: string): AdapterKind {
  const k = kinds.get(name);
  HLoraError.check(
    k,
    'UNKNOWN_KIND',
    () =>
      `unknown adapter kind '${name}' (registered: ${[...kinds.keys()].join(', ')}); register it first with registerAdapterKind(kind), ` +
      `e.g. by importing the module that defines it, before injecting or loading an adapter of this kind`,
  );
  return k;
}

/** Names of every registered kind, built-ins first. */
export function adapterKindNames(): string[] {
  return [...kinds.keys()];
}
