import { HLoraError } from './errors.js';

/**
 * Which layers to adapt, matched against each Linear's dotted path: module names (peft's
 * `target_modules` list: a name matches the path itself or its last segments, `q_proj` ↔
 * `model.layers.0.self_attn.q_proj`), `'all-linear'` (every Linear but `lm_head`, as in peft), a
 * RegExp (tested on the path), or a predicate on the path.
 */
export type TargetSpec = string[] | 'all-linear' | RegExp | ((path: string) => boolean);

export interface TargetOptions {
  targets: TargetSpec;
  /** Never adapt these (peft's `exclude_modules`): names matched like `targets`, or a RegExp. */
  exclude?: string[] | RegExp;
  /** Only layers with these indices (peft's `layers_to_transform`); applies to name lists, as in peft. */
  layersToTransform?: number | number[];
  /** The name of the layer list whose index `layersToTransform` reads (peft's `layers_pattern`, e.g. `layers`). */
  layersPattern?: string | string[];
}

/** True when `path` is `name` or ends in `.name` (peft's rule for `target_modules` lists). */
export const suffixMatch = (path: string, name: string): boolean => path === name || path.endsWith(`.${name}`);

/** A pattern from a config (a Python regex in peft) as a JS RegExp; `HLoraError` `CONFIG` naming `where` when it does not compile. */
export function compilePattern(source: string, where: string, wrap: (s: string) => string = (s) => `^(?:${s})$`): RegExp {
  try {
    return new RegExp(wrap(source));
  } catch (e) {
    throw new HLoraError('CONFIG', `${where} ${JSON.stringify(source)} is not a regular expression this package can run (${(e as Error).message})`, { path: where, cause: e });
  }
}

/** The layer index in `path` the way peft reads it for `layers_to_transform`, or null. */
function layerIndex(path: string, layersPattern: string | string[] | undefined): number | null {
  const patterns = layersPattern === undefined || layersPattern.length === 0 ? [null] : typeof layersPattern === 'string' ? [layersPattern] : layersPattern;
  for (const p of patterns) {
    const re = p === null ? /^.*\.[^.]*\.(\d+)\./ : compilePattern(p, 'layersPattern', (s) => `^.*\\.${s}\\.(\\d+)\\.`);
    const m = re.exec(path);
    if (m) return Number(m[1]);
  }
  return null;
}

/**
 * peft's `check_target_module_exists` for one path: excluded first; a RegExp or predicate decides
 * alone; a name list matches a path exactly (no layer filter) or by suffix (then
 * `layersToTransform` filters by the index after `layersPattern`, or after any `.name.` when no
 * pattern is given).
 */
export function targetMatcher({ targets, exclude = [], layersToTransform, layersPattern }: TargetOptions): (path: string) => boolean {
  const excluded = exclude instanceof RegExp ? (p: string) => exclude.test(p) : (p: string) => exclude.some((e) => suffixMatch(p, e));
  const indices = layersToTransform === undefined ? null : typeof layersToTransform === 'number' ? [layersToTransform] : layersToTransform;
  HLoraError.check(
    indices === null || (indices.length > 0 && indices.every((i) => Number.isInteger(i) && i >= 0)),
    'ARGUMENT',
    () => `'layersToTransform' passed to 'injectAdapters' must be a non-negative integer or a non-empty list of them, got ${JSON.stringify(layersToTransform)}`,
  );
  let matches: (p: string) => boolean;
  // peft's 'all-linear' leaves out the output layer.
  if (targets === 'all-linear') matches = (p) => !suffixMatch(p, 'lm_head');
  else if (Array.isArray(targets)) {
    HLoraError.check(targets.length > 0 && targets.every((t) => typeof t === 'string' && t.length > 0), 'ARGUMENT', `'targets' passed to 'injectAdapters' must be a non-empty list of module names`);
    matches = (p) => {
      if (targets.includes(p)) return true;
      if (!targets.some((t) => suffixMatch(p, t))) return false;
      if (indices === null) return true;
      const i = layerIndex(p, layersPattern);
      return i !== null && indices.includes(i);
    };
  } else if (targets instanceof RegExp) matches = (p) => targets.test(p);
  else if (typeof targets === 'function') matches = targets;
  else throw new HLoraError('ARGUMENT', `'targets' passed to 'injectAdapters' must be a list of names, 'all-linear', a RegExp or a function`);
  HLoraError.check(indices === null || Array.isArray(targets), 'ARGUMENT', `'layersToTransform' passed to 'injectAdapters' applies to a list of module names (as peft's layers_to_transform does), not to ${describeTargets(targets)}`);
  return (p) => !excluded(p) && matches(p);
}

/**
 * peft's `get_pattern_key`: the first key of `pattern` (in insertion order) that matches the end
 * of `path` after a dot (`q_proj`, `layers.0.q_proj`, or any regex), or undefined.
 */
export function patternValue<T>(pattern: Readonly<Record<string, T>> | undefined, path: string, where: string): T | undefined {
  if (!pattern) return undefined;
  for (const [key, value] of Object.entries(pattern)) if (compilePattern(key, `${where}.${key}`, (s) => `^(?:.*\\.)?(?:${s})$`).test(path)) return value;
  return undefined;
}

export function describeTargets(t: TargetSpec): string {
  return Array.isArray(t) ? `[${t.join(', ')}]` : t instanceof RegExp ? String(t) : typeof t === 'string' ? `'${t}'` : '(predicate)';
}
