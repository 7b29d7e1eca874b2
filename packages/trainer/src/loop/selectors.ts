import type { Module, Variable } from '@healthgpt/tensor-core';
import { TrainerError } from '../errors.js';

/**
 * Which parameters something applies to: a glob on the dotted parameter name (`*` matches within
 * one name part, `**` across parts; `model.mm_projector.**`, `**.lora_A.generation.weight`), a
 * RegExp, or a predicate.
 */
export type Selector = string | RegExp | ((name: string) => boolean);

const cache = new Map<string, RegExp>();

/** The RegExp of a glob: `**` any run of characters, `*` any run without a dot, `?` one non-dot character. */
export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = glob.replace(/\*\*|\*|\?|[.+^${}()|[\]\\]/g, (m) => (m === '**' ? '.*' : m === '*' ? '[^.]*' : m === '?' ? '[^.]' : `\\${m}`));
    re = new RegExp(`^${body}$`);
    cache.set(glob, re);
  }
  return re;
}

export function matches(selector: Selector, name: string): boolean {
  if (typeof selector === 'function') return selector(name);
  if (selector instanceof RegExp) return selector.test(name);
  return globToRegExp(selector).test(name);
}

export const matchesAny = (selectors: readonly Selector[], name: string) => selectors.some((s) => matches(s, name));

const describe = (s: Selector) => (typeof s === 'function' ? 'a predicate' : String(s));

/**
 * Make exactly the parameters that `selectors` match trainable and freeze every other one.
 * Each selector must match at least one parameter (a typo would otherwise train nothing), or a
 * `TrainerError` `STAGE` names it. Returns the trainable parameters, in the module's order.
 */
export function applyTrainable(module: Module, selectors: readonly Selector[], where = 'stage'): [string, Variable][] {
  const params = module.namedParameters();
  for (const s of selectors)
    TrainerError.check(params.some(([n]) => matches(s, n)), 'STAGE', () => `selector ${describe(s)} of ${where} matches no parameter of the model`, { key: describe(s) });
  for (const [n, p] of params) p.trainable = matchesAny(selectors, n);
  return params.filter(([, p]) => p.trainable);
}
