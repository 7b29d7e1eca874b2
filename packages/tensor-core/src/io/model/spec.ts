import { StateDictError, TensorCoreError, type ShapeMismatch } from '../../errors.js';
import type { ConfigSchema } from '../schema.js';
import type { Checkpoint, StoredTensor } from '../folder/checkpoint.js';
import { checkParameterCount, checkTensorSize } from './budget.js';

/** A key name, or a pattern over names. */
export type KeyPattern = string | RegExp;

export const matchesAny = (key: string, patterns: readonly KeyPattern[]): boolean => patterns.some((p) => (typeof p === 'string' ? p === key : p.test(key)));

/**
 * What a model package tells the shared loader: its config schema and its key map. Everything
 * here is analytic (no tensor is made): the loader checks the checkpoint's headers against it
 * before any model is built.
 */
export interface ModelSpec<C> {
  /** What the model is called in messages (`phi3 decoder`). */
  readonly name: string;
  /** The config.json schema (a zod schema); its output is the config the model is built from. */
  readonly schema: ConfigSchema<C>;
  /** The number of parameters `config` implies. */
  parameterCount(config: C): number;
  /** Every parameter's checkpoint name and shape, in the order the model registers them. */
  keyShapes(config: C): Iterable<readonly [string, readonly number[]]>;
  /** Checkpoint keys the model does not take and that are never read (`text_model.*` of a full CLIP file). */
  ignore?(config: C): readonly KeyPattern[];
}

export interface PlanOptions {
  /** Checkpoint keys are `prefix + name`; keys outside the prefix are skipped. */
  prefix?: string;
  /** More keys to skip (after the prefix is removed), besides the spec's own. */
  ignore?: readonly KeyPattern[];
  /** Bound on the implied parameter count (default `defaultMaxParameters()`). */
  maxParameters?: number;
  /** The config file, for messages. */
  file?: string;
}

/**
 * Refuse, before anything is allocated, a config whose parameters exceed `maxParameters` (default:
 * what this machine's memory holds as float32) or whose largest tensor TensorFlow.js cannot hold
 * (`TOO_LARGE`, naming the key). For models built from a config alone (no checkpoint to plan against).
 */
export function checkBuildable<C>(spec: ModelSpec<C>, config: C, maxParameters?: number): void {
  checkParameterCount(spec.parameterCount(config), { maxParameters, what: `the ${spec.name}` });
  for (const [key, shape] of spec.keyShapes(config)) checkTensorSize(key, shape);
}

/** What to read: each parameter name and where its tensor is. */
export type LoadPlan = [string, StoredTensor][];

/**
 * Header before allocation. Checks, without reading any tensor data or building anything: the
 * implied parameter count against the bound; then every expected key and shape against the
 * headers. The key map is walked lazily and abandoned once it names far more tensors than the
 * checkpoint holds (so 10⁶ layers beside a small file fail at once, with the counts). Missing,
 * unexpected and mis-shaped keys are listed together in a `StateDictError`.
 */
export function planLoad<C>(spec: ModelSpec<C>, config: C, ckpt: Checkpoint, { prefix = '', ignore = [], maxParameters, file }: PlanOptions = {}): LoadPlan {
  const where = ckpt.indexFile ?? ckpt.shards[0]?.path;
  const skip = [...(spec.ignore?.(config) ?? []), ...ignore];
  const selected = (k: string) => k.startsWith(prefix) && !matchesAny(k.slice(prefix.length), skip);
  const count = spec.parameterCount(config);
  checkParameterCount(count, { maxParameters, what: `the ${spec.name}`, file });
  const keys = [...ckpt.tensors.keys()].filter(selected);
  const limit = 2 * keys.length + 1000;
  const missing: string[] = [];
  const mismatched: ShapeMismatch[] = [];
  const plan: LoadPlan = [];
  const expected = new Set<string>();
  for (const [name, shape] of spec.keyShapes(config)) {
    if (expected.size >= limit)
      throw new TensorCoreError(
        'STATE_DICT',
        `the config implies ${count} parameters in more than ${limit} tensors for the ${spec.name}, but the checkpoint holds ${keys.length} tensors with ${ckpt.numel(selected)} parameters`,
        { file: where },
      );
    expected.add(name);
    checkTensorSize(name, shape, file);
    const stored = ckpt.tensors.get(prefix + name);
    if (!stored || !selected(prefix + name)) missing.push(prefix + name);
    else if (!sameShape(stored.info.shape, shape)) mismatched.push({ key: prefix + name, expected: [...shape], actual: stored.info.shape });
    else plan.push([name, stored]);
  }
  const unexpected = keys.filter((k) => !expected.has(k.slice(prefix.length)));
  if (missing.length || unexpected.length || mismatched.length)
    throw new StateDictError(missing, unexpected, mismatched, `checkpoint does not match the ${spec.name}`, { file: where, key: missing[0] ?? unexpected[0] ?? mismatched[0].key });
  return plan;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
