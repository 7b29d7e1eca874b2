/**
 * `@healthgpt/h-lora/testing`: the conformance matrix every built-in adapter kind passes, for your
 * own kinds. Under vitest:
 *
 *   import { checkAdapterKind } from '@healthgpt/h-lora/testing';
 *   checkAdapterKind(myKind, { settings: [{ myOption: 1 }, { myOption: 2 }] });
 *
 * Needs `vitest` and `fast-check` (optional peer dependencies of @healthgpt/h-lora: install them as
 * dev dependencies). `adapterKindChecks` gives the same checks as plain async functions for other
 * test runners.
 */
import { describe, it } from './runner.js';
import type { AdapterKind } from '@healthgpt/h-lora';
import { adapterKindChecks, type CheckAdapterKindOptions } from './checks.js';

export { adapterKindChecks, type AdapterKindCheck, type CheckAdapterKindOptions } from './checks.js';

/**
 * Register one vitest test per property of the conformance matrix for `kind` (inside a
 * `describe('adapter kind <name>')`): a fresh adapter is the identity, disable/enable, rows
 * independent, merge ≈ unmerged and unmerge restores the layer (or a typed refusal), gradients only
 * into the active adapter, the parameter count, save → load identity with the kind's settings,
 * no tensor leaks, and for kinds with experts the explicit mixture and permutation invariance.
 * Registers `kind` when no kind has its name yet.
 */
export function checkAdapterKind<S extends object>(kind: AdapterKind<S>, options: CheckAdapterKindOptions<S> = {}): void {
  describe(`adapter kind '${kind.name}'`, () => {
    for (const check of adapterKindChecks(kind, options)) it(check.name, () => check.run());
  });
}
