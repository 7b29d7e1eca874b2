import { z } from 'zod';
import { HLoraError } from './errors.js';
import type { BiasMode } from './adapted_linear.js';
import type { AdapterConfig, AdapterKind, ResolvedAdapterConfig } from './kinds/kind.js';
import { getAdapterKind } from './kinds/registry.js';
import { checkSupported } from './peft_fields.js';
import { compilePattern, type TargetSpec } from './targets.js';

/** adapter_config.json as written: peft's LoraConfig fields, plus `adapter_kind`, `scaling_rule`, `scaling` and (routed kinds) `lora_nums`. */
export interface AdapterConfigJson {
  peft_type: 'LORA';
  task_type: string | null;
  base_model_name_or_path: string | null;
  revision: string | null;
  inference_mode: boolean;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  /** Module names (suffixes), or a regular expression the whole path must match. */
  target_modules: string[] | string;
  exclude_modules: string[] | string | null;
  bias: BiasMode;
  fan_in_fan_out: boolean;
  init_lora_weights: boolean;
  modules_to_save: string[] | null;
  layers_to_transform: number[] | null;
  layers_pattern: string | null;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  use_rslora: boolean;
  use_dora: boolean;
  /** The registered kind that reads these weights (`lora`, `dora`, `moe-lora`, `hlora`, …). */
  adapter_kind: string;
  /** How the kind turns lora_alpha into the scaling factor, in these fields' names. */
  scaling_rule: string;
  /** The scaling factor itself (of a layer with the default r and lora_alpha); informational, recomputed on load. */
  scaling: number;
  lora_nums?: number;
  [extra: string]: unknown;
}

export interface ConfigJsonOptions {
  baseModelNameOrPath?: string | null;
  taskType?: string | null;
}

/** Everything adapter_config.json says about an adapter, in `injectAdapters`' terms. */
export interface AdapterSpec {
  /** The registered kind (`adapter_kind`, else `hlora` with `lora_nums`, `dora` with `use_dora`, else `lora`). */
  kind: string;
  /** The default config, the kind's own settings included. */
  config: AdapterConfig & Record<string, unknown>;
  targets: TargetSpec;
  exclude: string[] | RegExp;
  layersToTransform?: number | number[];
  layersPattern?: string | string[];
  rankPattern?: Record<string, number>;
  alphaPattern?: Record<string, number>;
  bias: BiasMode;
}

const names = z.array(z.string().min(1));
const ints = z.array(z.number().int().nonnegative());

/** The fields this package reads; other fields are checked by `checkSupported`. */
export const adapterConfigSchema = z.looseObject({
  peft_type: z.literal('LORA').nullish(),
  r: z.number().int().positive(),
  lora_alpha: z.number(),
  lora_dropout: z.number().min(0).lt(1).nullish(),
  target_modules: z.union([names.min(1), z.string().min(1)]),
  exclude_modules: z.union([names, z.string()]).nullish(),
  bias: z.enum(['none', 'all', 'lora_only']).nullish(),
  use_rslora: z.boolean().nullish(),
  use_dora: z.boolean().nullish(),
  fan_in_fan_out: z.boolean().nullish(),
  rank_pattern: z.record(z.string(), z.number().int().positive()).nullish(),
  alpha_pattern: z.record(z.string(), z.number()).nullish(),
  layers_to_transform: z.union([z.number().int().nonnegative(), ints]).nullish(),
  layers_pattern: z.union([z.string(), names]).nullish(),
  lora_nums: z.number().int().positive().nullish(),
  adapter_kind: z.string().regex(/^[A-Za-z0-9_-]+$/).nullish(),
  scaling_rule: z.string().nullish(),
  scaling: z.number().nullish(),
});

const show = (v: unknown) => {
  const s = v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** The value at a zod issue path, for the message. */
function at(json: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, p) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined), json);
}

/** `rank_pattern.o_proj`, `layers_to_transform[0]`. */
const dotted = (path: readonly PropertyKey[]) => path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)), '');

function parse(json: unknown, file: string): z.infer<typeof adapterConfigSchema> {
  HLoraError.check(json !== null && typeof json === 'object' && !Array.isArray(json), 'CONFIG', `adapter_config.json must hold a JSON object, got ${show(json)}`, { file });
  const r = adapterConfigSchema.safeParse(json);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `'${dotted(i.path)}' ${i.message.replace(/^Invalid input: /, '')}${at(json, i.path) === undefined ? ' (missing)' : `, got ${show(at(json, i.path))}`}`);
  const first = r.error.issues[0];
  const missing = first.code === 'invalid_type' && at(json, first.path) === undefined;
  throw new HLoraError('CONFIG', missing && issues.length === 1 ? `'${dotted(first.path)}' is missing` : issues.join('; '), { file, path: dotted(first.path) });
}

const JSON_FIELD: Record<string, string> = { r: 'r', loraAlpha: 'lora_alpha', loraDropout: 'lora_dropout', loraNums: 'lora_nums', useRslora: 'use_rslora' };
const jsonField = (path: string | undefined) => (path === undefined ? undefined : (JSON_FIELD[path] ?? path));

const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || v === '';

/**
 * Read adapter_config.json (already parsed from JSON): validated with zod, every peft field that
 * changes the math either implemented or refused (`HLoraError` `UNSUPPORTED`), the kind looked up
 * (with a hint to register it when unknown), its own settings read, and the default config checked
 * by the kind. Errors carry `file` and `path` (the field).
 */
export function fromConfigJson(json: unknown, file: string): AdapterSpec {
  const j = parse(json, file);
  const kindName = j.adapter_kind ?? (j.lora_nums != null ? 'hlora' : j.use_dora ? 'dora' : 'lora');
  let kind: AdapterKind;
  try {
    kind = getAdapterKind(kindName);
  } catch (e) {
    throw e instanceof HLoraError ? new HLoraError(e.code, e.detail, { file, path: j.adapter_kind ? 'adapter_kind' : undefined }) : e;
  }
  checkSupported(json as Record<string, unknown>, file, kind.settings?.keys ?? []);
  // A config error found by the kind names the file and the JSON field (`useRslora` → `use_rslora`).
  const withFile = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof HLoraError && e.file === undefined) throw new HLoraError(e.code, e.detail, { ...e.context, file, path: jsonField(e.path) });
      throw e;
    }
  };
  const settings = withFile(() => kind.settings?.read(json as Record<string, unknown>) ?? {});
  const config: AdapterConfig & Record<string, unknown> = {
    ...settings,
    r: j.r,
    loraAlpha: j.lora_alpha,
    loraDropout: j.lora_dropout ?? 0,
    useRslora: j.use_rslora ?? false,
    ...(j.lora_nums != null ? { loraNums: j.lora_nums } : {}),
  };
  const resolved = withFile(() => kind.resolve(config));
  // What the kind itself would write must be what the file says (use_dora, use_rslora, lora_nums,
  // its own settings). `scaling` and `scaling_rule` only describe: they are recomputed.
  const written = toConfigJson(kind, resolved, [], {});
  for (const key of ['use_dora', 'use_rslora', 'lora_nums', ...(kind.settings?.keys ?? [])]) {
    const mine = written[key] ?? null;
    const theirs = (json as Record<string, unknown>)[key] ?? null;
    const same = JSON.stringify(mine) === JSON.stringify(theirs) || (mine === false && theirs === null);
    HLoraError.check(same, 'CONFIG', () => `'${key}' is ${show(theirs)} but adapter kind '${kind.name}' computes ${show(mine)}: the file's math is not this kind's`, { file, path: key });
  }
  const targets: TargetSpec =
    typeof j.target_modules === 'string'
      ? j.target_modules.toLowerCase() === 'all-linear'
        ? 'all-linear'
        : withFile(() => compilePattern(j.target_modules as string, 'target_modules'))
      : j.target_modules;
  const ex = j.exclude_modules;
  const exclude: string[] | RegExp = typeof ex === 'string' ? (ex ? withFile(() => compilePattern(ex, 'exclude_modules')) : []) : (ex ?? []);
  return {
    kind: kind.name,
    config,
    targets,
    exclude,
    ...(!empty(j.layers_to_transform) ? { layersToTransform: j.layers_to_transform! } : {}),
    ...(!empty(j.layers_pattern) ? { layersPattern: j.layers_pattern! } : {}),
    ...(j.rank_pattern && Object.keys(j.rank_pattern).length ? { rankPattern: j.rank_pattern } : {}),
    ...(j.alpha_pattern && Object.keys(j.alpha_pattern).length ? { alphaPattern: j.alpha_pattern } : {}),
    bias: j.bias ?? 'none',
  };
}

export interface ConfigJsonLayout {
  rankPattern?: Record<string, number>;
  alphaPattern?: Record<string, number>;
  bias?: BiasMode;
}

/** The adapter_config.json of an adapter of `kind` with default `config` on the layers `targetModules` names. */
export function toConfigJson(
  kind: AdapterKind,
  config: ResolvedAdapterConfig,
  targetModules: string[] | string,
  opts: ConfigJsonOptions = {},
  { rankPattern = {}, alphaPattern = {}, bias = 'none' }: ConfigJsonLayout = {},
): AdapterConfigJson {
  const routed = kind.gate !== undefined || kind.experts !== undefined;
  return {
    peft_type: 'LORA',
    task_type: opts.taskType ?? 'CAUSAL_LM',
    base_model_name_or_path: opts.baseModelNameOrPath ?? null,
    revision: null,
    inference_mode: true,
    r: config.r,
    lora_alpha: config.loraAlpha,
    lora_dropout: config.loraDropout,
    target_modules: targetModules,
    exclude_modules: null,
    bias,
    fan_in_fan_out: false,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: rankPattern,
    alpha_pattern: alphaPattern,
    use_rslora: config.useRslora,
    use_dora: false,
    ...(routed ? { lora_nums: config.loraNums } : {}),
    ...(kind.settings?.write(config) ?? {}),
    adapter_kind: kind.name,
    scaling_rule: typeof kind.scalingRule === 'function' ? kind.scalingRule(config) : kind.scalingRule,
    scaling: kind.scaling(config),
  };
}
